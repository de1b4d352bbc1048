"""Lesson 4 beyond its default run (tests/test_lessons.py): another prefix and temperature, post-padding,
and an untrained end-of-sentence model."""
from notebook_runner import ROOT, assert_clean_run, execute, self_check_lines

LESSON = ROOT / "lessons" / "04_next_word_prediction.ipynb"
EXPECTED_PASSES = 27  # every check of the lesson, each printed once


def test_lesson_runs_to_the_end_with_another_prefix_and_temperature():
    nb = execute(LESSON, overrides={"PREFIX": "hello what", "TEMPERATURE": 0.5, "MAX_WORDS": 6})
    out = assert_clean_run(nb, EXPECTED_PASSES)
    assert "T = 0.5, seed 0: hello what" in out and "after 'hello what'" in out


def test_post_padding_fails_the_padding_check():
    post = "X, y = nw.split_inputs_and_targets(keras.utils.pad_sequences(prefixes, padding='post'))"
    nb = execute(LESSON, inject={"training-pairs": post}, stop_after="padding-check")
    passed, failed = self_check_lines(nb)
    assert any(line.startswith("FAIL: padding sits only at the front") for line in failed), failed
    assert any(line.startswith("FAIL: every target is a real word") for line in failed), failed
    assert "PASS: every context is 4 ids long (longest sentence - 1)" in passed


def test_an_untrained_end_model_fails_the_end_of_sentence_check():
    untrained = ("set_seed(42)\n"
                 "end_model = nw.build_next_word_model(end_vectorizer.vocabulary_size(), end_X.shape[1])")
    nb = execute(LESSON, inject={"end-model": untrained}, stop_after="end-check")
    passed, failed = self_check_lines(nb)
    assert failed == ["FAIL: after every whole training sentence the model's favourite is [END] -- hint: train "
                      "longer: raise END_EPOCHS"]
    assert "PASS: no model can beat the ceiling" in passed
