"""How long each lesson explorer takes to react when a learner moves it (for the benchmark, not a test).

    python tools/widget_timings.py

Builds each explorer on models of the lessons' sizes (untrained where training would not change the
cost; the next-word model trained as in lesson 4), moves its controls several times and prints the
median and worst wall time and the median CPU time per move. Figures measured on a busy machine are
inflated: CPU time is the steadier number there. `measure()` returns the same numbers as a dict.
"""
import statistics
import time

import numpy as np


def _time_moves(explorer, moves, repeat=3):
    walls, cpus = [], []
    for _ in range(repeat):
        for control, value in moves:
            cpu, wall = time.process_time(), time.perf_counter()
            explorer.controls[control].value = value
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    return {"median_ms": 1000 * statistics.median(walls), "max_ms": 1000 * max(walls),
            "median_cpu_ms": 1000 * statistics.median(cpus), "moves": len(walls)}


def measure() -> dict:
    from lstm_course import next_word as nw
    from lstm_course.long_range import RunResult
    from lstm_course.models import build_sequence_classifier
    from lstm_course.reviews import generate_reviews
    from lstm_course.text_prep import make_vectorizer
    from lstm_course.widgets import (distance_explorer, hand_set_gates_explorer, next_word_explorer,
                                     sentiment_explorer, trained_gates_explorer)

    timings = {}
    # lesson 1: 2 models x 3 distances x 3 seeds, gradient curves over 41 steps (as in the lesson)
    results = [RunResult(c, d, s, 0.5 + 0.1 * s) for c in ("simple_rnn", "lstm") for d in (10, 20, 40) for s in range(3)]
    norms = {k: np.geomspace(1e-6, 1, 41) for k in ("SimpleRNN at init", "SimpleRNN trained", "LSTM at init", "LSTM trained")}
    start = time.perf_counter()
    memory = distance_explorer(results, norms)
    timings["lesson 1: build (draws 3 figures)"] = {"median_ms": 1000 * (time.perf_counter() - start)}
    timings["lesson 1: distance slider"] = _time_moves(memory, [("distance", 10), ("distance", 20), ("distance", 40)])
    # lesson 2: the seed sentence with hand-set gates; the trained-gate trace on the lesson's model size
    words = ["the", "movie", "was", "long", "but", "the", "ending", "was", "amazing"]
    hand = hand_set_gates_explorer(words, [dict(forget=1.0, input=0.0, candidate=0.0, output=0.2)] * len(words))
    timings["lesson 2: hand-set gate slider"] = _time_moves(hand, [("forget", 0.5), ("forget", 0.9), ("candidate", 0.3)])
    timings["lesson 2: hand-set word drop-down"] = _time_moves(hand, [("word", 3), ("word", 8)])
    texts, _ = generate_reviews(400, seed=0)
    vectorizer = make_vectorizer(texts, vocab_size=3000, seq_len=100)
    model = build_sequence_classifier("lstm", vocab_size=3000, seq_len=100, embed_dim=16, units=16, mask_zero=True)
    trained = trained_gates_explorer(model, vectorizer)
    timings["lesson 2: trained-gates text box"] = _time_moves(trained, [
        ("text", "The acting was great but the plot was a mess."), ("text", "A dull film. I hated the ending.")])
    # lesson 3: the seed model Embedding(5000, 64) -> LSTM(64) -> Dense(1) over 50 tokens
    vectorizer = make_vectorizer(texts, vocab_size=5000, seq_len=50)
    model = build_sequence_classifier("lstm", vocab_size=5000, seq_len=50, embed_dim=64, units=64)
    review = sentiment_explorer(model, vectorizer)
    timings["lesson 3: review text box"] = _time_moves(review, [("text", "The acting was great."),
                                                                 ("text", "A dull film, I hated it.")])
    # lesson 4: the seed's model trained as in the lesson
    model, vectorizer, _ = nw.train_next_word_model(epochs=200)
    next_words = next_word_explorer(model, vectorizer)
    timings["lesson 4: temperature slider"] = _time_moves(next_words, [("temperature", 0.5), ("temperature", 1.5),
                                                                       ("temperature", 0.0)])
    timings["lesson 4: prefix box"] = _time_moves(next_words, [("prefix", "hello what"), ("prefix", "hello how are"),
                                                               ("prefix", "hello world")])
    return timings


def format_table(timings: dict) -> str:
    lines = []
    for name, t in timings.items():
        line = f"{name:<36} median {t['median_ms']:8.1f} ms"
        if "max_ms" in t:
            line += f"  worst {t['max_ms']:8.1f} ms  median CPU {t['median_cpu_ms']:7.1f} ms  ({t['moves']} moves)"
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_table(measure()))
