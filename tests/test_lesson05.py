"""Lesson 5 under changed parameters (tweak run) and with clipping switched off (negative run)."""
from notebook_runner import ROOT, assert_clean_run, execute, self_check_lines

LESSON = ROOT / "lessons" / "05_rnn_vs_lstm_by_the_numbers.ipynb"
EXPECTED_PASSES = 8  # parameters, gradients 40 back, gain, 3 clipping checks, memory, epochs at chance


def test_other_seeds_and_lengths_run_to_the_end_and_every_check_passes():
    nb = execute(LESSON, overrides={"SEEDS": [1, 2], "TIMING_LENGTHS": [30, 60], "TIMING_REPEATS": 5})
    out = assert_clean_run(nb, EXPECTED_PASSES)
    assert "2 seeds [1, 2]" in out and "lengths [30, 60] x 5 timed steps" in out  # the overrides took effect
    assert "ms per step, median [IQR] of 5" in out
    assert "* Time per step at length 60:" in out  # the recap follows the chosen lengths
    # every RNN-vs-LSTM verdict names the word-vector scale it was measured at, and Keras' default is measured too
    assert "With word vectors std 1 the LSTM keeps" in out and "With word vectors Keras default the LSTM keeps" in out
    assert "PASS: with word vectors std 1: more of the gradient reaches 40 words back" in out


def test_clipping_switched_off_makes_the_clipping_check_fail():
    nb = execute(LESSON, overrides={"SEEDS": [1, 2]}, stop_after="clipping-check",
                 inject={"clipping-settings": "clip_settings = {label: {} for label in clip_settings}"})
    passes, fails = self_check_lines(nb)
    assert [f for f in fails if f.startswith("FAIL: clipping rescues training")], fails
    assert len(fails) == 1, fails  # only the clipping check notices; the rest still holds
    assert any("without clipping, training stalls" in p for p in passes)


def test_a_bad_parameter_gives_a_clear_message():
    import pytest
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="TIMING_REPEATS must be an integer >= 5"):
        execute(LESSON, overrides={"TIMING_REPEATS": 2}, stop_after="parameter-check")
    with pytest.raises(CellExecutionError, match="INPUT_SCALE must be None"):
        execute(LESSON, overrides={"INPUT_SCALE": -1.0}, stop_after="parameter-check")
