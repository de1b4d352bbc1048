"""Lesson 1 beyond its default run (tests/test_lessons.py): the default run's checks, changed parameters,
and a model that did not train."""

import re

from notebook_runner import ROOT, assert_clean_run, execute, self_check_lines

LESSON = ROOT / "lessons" / "01_why_simple_rnns_forget.ipynb"
CHECKS_PER_SCALE = 3  # BPTT vs GradientTape, eq. (1.6) prediction, unit_forget_bias
MEMORY_CHECKS = 3  # LSTM learned the cue everywhere, finite losses, the LSTM gradient decays too
RECORD_CHECKS = 1  # section 5: the recorded explorations hold no LSTM advantage under defaults


def test_default_run_passes_every_check_and_prints_its_verdicts():
    nb = execute(LESSON)
    out = assert_clean_run(nb, MEMORY_CHECKS + CHECKS_PER_SCALE * 2 + RECORD_CHECKS)
    assert "Question 2, Keras default, N=40" in out and "Question 2, std 1, N=40" in out
    assert "What the measurements support: at N=40" in out
    # the explanation's numbers are printed: the cell path's share of the gradient and what swapping the cue does
    assert "The cell path alone (1.9) accounts for" in out and "swapping the cue word moves the logit by" in out
    assert re.search(r"the gradient d logit/d h_t (shrinks|grows) going back: a factor", out)
    # every figure, the explorer's still copy included, has alt text (issue 8)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images and all(o.get("metadata", {}).get("image/png", {}).get("alt", "").strip() for o in images), \
        [i for i, c in enumerate(nb.cells) for o in c.get("outputs", []) if "image/png" in o.get("data", {})
         and not o.get("metadata", {}).get("image/png", {}).get("alt", "").strip()]


def test_lesson_runs_to_the_end_with_other_parameters():
    nb = execute(LESSON, overrides={"DISTANCES": [20, 5], "SEEDS": [7, 8], "INPUT_SCALES": [0.5, None]})
    out = assert_clean_run(nb, MEMORY_CHECKS + CHECKS_PER_SCALE * 2 + RECORD_CHECKS)
    assert "farthest distance N=20; largest input scale std 0.5; 2 seeds" in out
    assert "At N=5 with embeddings initialised at std 0.5" in out and "Question 2, std 0.5, N=20" in out
    assert "N=40" not in out  # nothing still assumes the default distances


def test_a_model_that_did_not_train_fails_the_memory_check():
    nb = execute(LESSON, overrides={"DISTANCES": [5], "SEEDS": [0, 1], "EPOCHS": 1},
                 inject={"parameters": "LEARNING_RATE = 0.0  # broken: Adam takes no steps"},
                 stop_after="memory-checks")
    passed, failed = self_check_lines(nb)
    assert len(failed) == 1 and failed[0].startswith(
        "FAIL: the LSTM learned the cue (median accuracy over seeds >= 0.9) at every distance and input scale")
    assert passed == ["PASS: every run's training loss stayed finite"]
