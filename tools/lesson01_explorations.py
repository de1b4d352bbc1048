"""Measure and record the exploration table of lesson 1, section 5 (not run by the lesson: several minutes).

The question: is there a task, within a lesson's budget, on which the LSTM beats the SimpleRNN under
Keras' default initialisers and Adam(1e-3)? Variants: a longer distance; distractors that are the cue
words themselves (sentiment words); the adding problem of Hochreiter and Schmidhuber (1997).
Each variant: 3 seeds, Embedding(100, 32) -> SimpleRNN(32) or LSTM(32) -> Dense(1).

    python tools/lesson01_explorations.py            # every variant, recorded in RECORD
    python tools/lesson01_explorations.py adding     # one variant by name (updates its entry)

The results go to lstm_course/data/lesson01_explorations.json with the stack that measured them; the
lesson renders its table and conclusion from that file (lstm_course.explorations), so no number in it is
typed by hand. Deterministic: the course's setup() seeds everything and turns on op determinism.
"""
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from lstm_course.env import setup
from lstm_course.long_range import NEGATIVE, POSITIVE
from lstm_course.models import build_sequence_classifier, recurrent_layer

SEEDS = [0, 1, 2]
RECORD = Path(__file__).resolve().parent.parent / "lstm_course" / "data" / "lesson01_explorations.json"


def cue_task(n, distance, seed, cue_share=0.0, vocab_size=100):
    """The lesson's task; with `cue_share`, that share of distractors are replaced by the cue words."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    rng.shuffle(y)
    X = rng.integers(3, vocab_size, size=(n, distance + 1))
    if cue_share:
        replace = rng.random((n, distance + 1)) < cue_share
        X[replace] = rng.integers(POSITIVE, NEGATIVE + 1, size=int(replace.sum()))
    X[:, 0] = np.where(y == 1, POSITIVE, NEGATIVE)
    return X.astype("int32"), y.astype("float32")


def adding_task(n, steps, seed):
    """Two channels (value in [0, 1], marker); target: the sum of the two marked values."""
    rng = np.random.default_rng(seed)
    values, marks = rng.random((n, steps)), np.zeros((n, steps))
    first, second = rng.integers(0, steps // 2, n), rng.integers(steps // 2, steps, n)
    marks[np.arange(n), first] = marks[np.arange(n), second] = 1
    target = values[np.arange(n), first] + values[np.arange(n), second]
    return np.stack([values, marks], -1).astype("float32"), target.astype("float32")


def run_cue(distance, epochs, cue_share=0.0):
    import keras

    result = {"task": "cue", "distance": distance, "epochs": epochs, "cue_share": cue_share,
              "train": 1000, "validation": 400, "learning_rate": 1e-3, "seeds": SEEDS, "metric": "accuracy"}
    for cell in ("simple_rnn", "lstm"):
        finals = []
        for seed in SEEDS:
            X, y = cue_task(1400, distance, 10_000 + seed, cue_share)
            keras.utils.set_random_seed(seed)
            model = build_sequence_classifier(cell, 100, distance + 1, 32, 32, learning_rate=1e-3)
            history = model.fit(X[:1000], y[:1000], validation_data=(X[1000:], y[1000:]), epochs=epochs,
                                batch_size=32, verbose=0)
            finals.append(round(float(history.history["val_accuracy"][-1]), 4))
        result[cell] = finals
        print(f"N={distance}, cue share {cue_share:.0%}, {cell}: final accuracy per seed "
              f"{', '.join(f'{a:.2f}' for a in finals)}", flush=True)
    return result


def run_adding(steps=100, epochs=10):
    import keras

    X, y = adding_task(6000, steps, seed=123)
    baseline = float(np.var(y[5000:]))  # MSE of always predicting the mean
    print(f"adding problem T={steps}: predicting the mean gives MSE {baseline:.3f}")
    result = {"task": "adding", "steps": steps, "epochs": epochs, "train": 5000, "validation": 1000,
              "learning_rate": 1e-3, "seeds": SEEDS, "metric": "mse", "predict_the_mean_mse": round(baseline, 4)}
    for cell in ("simple_rnn", "lstm"):
        finals = []
        for seed in SEEDS:
            keras.utils.set_random_seed(seed)
            model = keras.Sequential([keras.Input((steps, 2)), recurrent_layer(cell, 32), keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
            history = model.fit(X[:5000], y[:5000], validation_data=(X[5000:], y[5000:]), epochs=epochs,
                                batch_size=50, verbose=0)
            finals.append(round(float(history.history["val_loss"][-1]), 4))
            print(f"adding problem T={steps}, {cell}, seed {seed}: validation MSE {finals[-1]:.3f}", flush=True)
        result[cell] = finals
    return result


VARIANTS = {
    "long": lambda: run_cue(100, 8),
    "cues20": lambda: run_cue(40, 8, 0.2),
    "cues50": lambda: run_cue(40, 8, 0.5),
    "cues100": lambda: run_cue(40, 8, 1.0),
    "adding": run_adding,
}

def record(results: dict) -> None:
    """Merge `results` into RECORD, with the stack and date that measured them."""
    import keras
    import tensorflow as tf

    data = json.loads(RECORD.read_text()) if RECORD.exists() else {"variants": {}}
    data["variants"].update(results)
    data["measured_with"] = {"python": platform.python_version(), "tensorflow": tf.__version__,
                             "keras": keras.__version__, "machine": platform.machine(),
                             "date": datetime.date.today().isoformat()}
    RECORD.parent.mkdir(exist_ok=True)
    RECORD.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    setup(verbose=False)
    names = sys.argv[1:] or list(VARIANTS)
    for name in names:
        if name not in VARIANTS:
            sys.exit(f"unknown variant {name!r}; choose from {sorted(VARIANTS)}")
    for name in names:
        start = time.perf_counter()
        record({name: VARIANTS[name]()})  # recorded one by one: an interrupted run keeps what it measured
        print(f"{name}: {time.perf_counter() - start:.0f} s, recorded in {RECORD}", flush=True)
