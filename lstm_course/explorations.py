"""Lesson 1, section 5: the recorded search for a task on which the LSTM beats the SimpleRNN under defaults.

The runs take minutes, more than a lesson's budget, so `tools/lesson01_explorations.py` measures them and
records them in data/lesson01_explorations.json (with the stack that measured them); the lesson renders the
table and its conclusion from that record, so no number in them is typed by hand.
"""
from __future__ import annotations

import json
from pathlib import Path

RECORD = Path(__file__).resolve().parent / "data" / "lesson01_explorations.json"
CELLS = ("simple_rnn", "lstm")


def load(path: Path | str = RECORD) -> dict:
    """The record: {"variants": {name: result}, "measured_with": {...}}; a clear error if it is missing."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python tools/lesson01_explorations.py` to measure it")
    data = json.loads(path.read_text())
    for name, result in data["variants"].items():
        for cell in CELLS:
            if len(result.get(cell, [])) != len(result["seeds"]):
                raise ValueError(f"variant {name!r}: {cell} has {len(result.get(cell, []))} results for "
                                 f"{len(result['seeds'])} seeds; re-run the tool for it")
    return data


def _mean(values) -> float:
    return sum(values) / len(values)


def describe(result: dict) -> str:
    """One line naming a variant's setting, e.g. "$N = 40$, 20% of distractors are cue words, 8 epochs"."""
    if result["task"] == "adding":
        return (f"adding problem (Hochreiter and Schmidhuber 1997), $T = {result['steps']}$, "
                f"{result['epochs']} epochs of {result['train']}")
    share = result["cue_share"]
    words = ("" if share == 0 else ", every distractor is a cue word" if share == 1
             else f", {share:.0%} of distractors are cue words")
    return f"$N = {result['distance']}${words}, {result['epochs']} epochs"


def lstm_advantage(result: dict) -> bool:
    """Did the LSTM do better on average? Accuracy: higher by more than 0.05; MSE: lower by more than 10%,
    and below the MSE of always predicting the mean (else neither model learned the task)."""
    simple, lstm = _mean(result["simple_rnn"]), _mean(result["lstm"])
    if result["metric"] == "accuracy":
        return lstm > simple + 0.05
    return lstm < 0.9 * simple and lstm < 0.9 * result["predict_the_mean_mse"]


def learned_adding(result: dict, cell: str) -> bool:
    """On the adding problem, a model learned if its mean MSE is below 90% of predicting the mean."""
    return _mean(result[cell]) < 0.9 * result["predict_the_mean_mse"]


def table_markdown(data: dict) -> str:
    """The exploration table as Markdown, per-seed results in each cell."""
    rows = ["| variant (Keras defaults) | metric | SimpleRNN, per seed | LSTM, per seed |", "|---|---|---|---|"]
    for result in data["variants"].values():
        metric = ("validation accuracy" if result["metric"] == "accuracy" else
                  f"validation MSE (predicting the mean: {result['predict_the_mean_mse']:.3f})")
        cells = [", ".join(f"{v:.2f}" if result["metric"] == "accuracy" else f"{v:.3f}" for v in result[c])
                 for c in CELLS]
        rows.append(f"| {describe(result)} | {metric} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


def conclusion(data: dict) -> str:
    """What the record supports, generated from it."""
    variants = list(data["variants"].values())
    wins = [describe(r) for r in variants if lstm_advantage(r)]
    parts = [f"The LSTM did better on average in {len(wins)} of {len(variants)} variants"
             + (": " + "; ".join(wins) + "." if wins else ".")]
    for r in variants:
        if r["task"] == "adding":
            learned = [name for cell, name in zip(CELLS, ("SimpleRNN", "LSTM")) if learned_adding(r, cell)]
            parts.append("On the adding problem " + (" and ".join(learned) + " beat" if learned else
                         "neither model beat") + " the constant prediction of the mean in this budget.")
    return " ".join(parts)
