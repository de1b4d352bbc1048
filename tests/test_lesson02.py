"""Lesson 2 beyond its default run (tests/test_lessons.py): changed parameters, and a broken NumPy cell."""
from notebook_runner import ROOT, assert_clean_run, execute, self_check_lines

LESSON = ROOT / "lessons" / "02_inside_the_lstm.ipynb"
EXPECTED_PASSES = 20  # every check of the lesson, each printed once (exercise 1 included)


def test_lesson_runs_to_the_end_with_other_parameters():
    nb = execute(LESSON, overrides={"REVIEW": "A slow, dull start. But I loved every minute of the ending!",
                                    "UNITS": 4, "SEED": 0, "DISTANCE": 20})
    out = assert_clean_run(nb, EXPECTED_PASSES)
    assert "training LSTM(4) on the cue task" in out and "loved" in out
    assert "Exercise 1: input gate 0.5 at 'amazing' -> final cell state +0.40" in out  # the answer, computed


def test_swapped_forget_and_input_blocks_fail_the_keras_comparison():
    # Read block 0 as the forget gate and block 1 as the input gate: Keras' order is i, f, c, o.
    swap = 'numpy_lstm.GATE_ORDER = ("forget", "input", "candidate", "output")'
    nb = execute(LESSON, inject={"numpy-lstm": swap}, stop_after="numpy-check")
    passed, failed = self_check_lines(nb)
    assert failed == ["FAIL: NumPy LSTM matches keras.layers.LSTM within 1e-6 (float64) -- hint: check the gate "
                      "order i, f, c, o and which blocks use sigmoid vs tanh"]
    assert len(passed) == 5  # the checks before the broken cell still pass
