"""Lesson 3 on its fixed offline data: another SEQ_LEN (tweak run), pre-padding broken (negative run)."""
import re

import pytest
from nbclient.exceptions import CellExecutionError

from notebook_runner import ROOT, execute, self_check_lines, streams

LESSON = ROOT / "lessons" / "03_lstm_sentiment_classifier.ipynb"
OFFLINE = {"REVIEWS_SOURCE": "generated"}  # the same reviews on every machine, online or not
# parameter counts (3), seed model beats chance, pre beats post where padding is long, pre ends on a
# real word, balanced classes
EXPECTED_PASSES = 7


def test_seq_len_100_runs_to_the_end_without_nan_or_warnings():
    nb = execute(LESSON, overrides={**OFFLINE, "SEQ_LEN": 100})
    passes, fails = self_check_lines(nb)
    out, err = streams(nb, "stdout"), streams(nb, "stderr")
    assert not fails, fails
    assert len(passes) == EXPECTED_PASSES, passes
    assert not re.search(r"\bnan\b", out, re.IGNORECASE), "a NaN was printed"
    assert "RuntimeWarning" not in err and err.strip() == "", err[:2000]
    assert "data source used below: GENERATED" in out  # the lesson says which data it used
    assert "padding comparison: 100 tokens" in out and "50+ padding steps after it" in out


def test_post_padding_where_pre_padding_is_checked_fails_the_right_checks():
    nb = execute(LESSON, overrides=OFFLINE, stop_after="padding-check",
                 inject={"padding-layouts": 'layouts["pre"] = layouts["post"]'})
    passes, fails = self_check_lines(nb)
    assert any(f.startswith("FAIL: where post-padding adds at least half the input") for f in fails), fails
    assert any(f.startswith("FAIL: pre-padded sequences end on a real word") for f in fails), fails
    assert len(fails) == 2, fails
    assert any("the seed LSTM beats chance" in p for p in passes)


@pytest.mark.parametrize("name, value, message", [
    ("SEQ_LEN", 5, "SEQ_LEN must be an integer from 10 to 1000"),
    ("PADDING_SEEDS", [], "PADDING_SEEDS must be a non-empty list"),
    ("PADDING_EPOCHS", 0, "PADDING_EPOCHS must be an integer from 1 to 20"),
])
def test_a_bad_parameter_gives_a_clear_message(name, value, message):
    with pytest.raises(CellExecutionError, match=message):
        execute(LESSON, overrides={**OFFLINE, name: value}, stop_after="parameter-check")
