"""lstm_course.explorations: lesson 1's recorded exploration table and the conclusion generated from it."""
import ast
import json
from pathlib import Path

import pytest

from lstm_course import explorations as ex

TOOL = Path(__file__).resolve().parent.parent / "tools" / "lesson01_explorations.py"


def cue(distance=40, share=0.0, simple=(1.0, 1.0, 1.0), lstm=(1.0, 1.0, 1.0)):
    return {"task": "cue", "distance": distance, "epochs": 8, "cue_share": share, "train": 1000,
            "validation": 400, "learning_rate": 1e-3, "seeds": [0, 1, 2], "metric": "accuracy",
            "simple_rnn": list(simple), "lstm": list(lstm)}


def adding(simple=(0.17, 0.17, 0.17), lstm=(0.17, 0.17, 0.17), baseline=0.169):
    return {"task": "adding", "steps": 100, "epochs": 10, "train": 5000, "validation": 1000,
            "learning_rate": 1e-3, "seeds": [0, 1, 2], "metric": "mse", "predict_the_mean_mse": baseline,
            "simple_rnn": list(simple), "lstm": list(lstm)}


def record(**variants):
    return {"variants": variants, "measured_with": {"date": "2026-12-02", "tensorflow": "2.21.0", "keras": "3.15.1"}}


def test_an_lstm_advantage_needs_a_clear_margin_in_the_right_direction():
    assert ex.lstm_advantage(cue(simple=(0.5, 0.5, 0.5), lstm=(1.0, 1.0, 1.0)))
    assert not ex.lstm_advantage(cue(simple=(1.0, 1.0, 1.0), lstm=(0.5, 0.5, 0.5)))
    assert not ex.lstm_advantage(cue(simple=(0.9, 0.9, 0.9), lstm=(0.94, 0.94, 0.94)))  # within 0.05
    assert ex.lstm_advantage(adding(simple=(0.17,) * 3, lstm=(0.01,) * 3))  # lower MSE is better
    assert not ex.lstm_advantage(adding(simple=(0.01,) * 3, lstm=(0.17,) * 3))
    # lower than the SimpleRNN but no better than predicting the mean: neither learned
    assert not ex.lstm_advantage(adding(simple=(0.5,) * 3, lstm=(0.16,) * 3, baseline=0.169))


def test_the_conclusion_follows_the_record():
    none = record(long=cue(100), adding=adding())
    assert ex.conclusion(none) == ("The LSTM did better on average in 0 of 2 variants. On the adding problem "
                                   "neither model beat the constant prediction of the mean in this budget.")
    one = record(long=cue(100, simple=(0.5,) * 3), adding=adding(lstm=(0.02,) * 3))
    text = ex.conclusion(one)
    assert text.startswith("The LSTM did better on average in 2 of 2 variants: $N = 100$, 8 epochs; adding problem")
    assert "On the adding problem LSTM beat the constant prediction" in text


def test_the_table_has_a_row_per_variant_with_every_seed():
    table = ex.table_markdown(record(a=cue(40, 0.5, lstm=(0.79, 0.98, 1.0)), b=cue(40, 1.0), c=adding()))
    rows = table.splitlines()
    assert len(rows) == 2 + 3
    assert rows[2] == ("| $N = 40$, 50% of distractors are cue words, 8 epochs | validation accuracy | "
                       "1.00, 1.00, 1.00 | 0.79, 0.98, 1.00 |")
    assert "every distractor is a cue word" in rows[3]
    assert "(predicting the mean: 0.169)" in rows[4] and "0.170, 0.170, 0.170" in rows[4]


def test_a_missing_or_partial_record_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="tools/lesson01_explorations.py"):
        ex.load(tmp_path / "none.json")
    partial = record(long=cue(100))
    partial["variants"]["long"]["lstm"] = [1.0]
    (tmp_path / "partial.json").write_text(json.dumps(partial))
    with pytest.raises(ValueError, match="'long': lstm has 1 results for 3 seeds"):
        ex.load(tmp_path / "partial.json")


def test_the_committed_record_covers_every_variant_the_tool_measures():
    tool = ast.parse(TOOL.read_text())
    variants = next(node.value for node in tool.body if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", "") == "VARIANTS")
    names = [key.value for key in variants.keys]
    data = ex.load()
    assert list(data["variants"]) == names
    assert {"python", "tensorflow", "keras", "date"} <= set(data["measured_with"])
