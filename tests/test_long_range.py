import numpy as np
import pytest

from lstm_course.long_range import (FIRST_DISTRACTOR, NEGATIVE, POSITIVE, RunResult, format_summary,
                                    make_long_range_data, summarize, train_on_distance)


def test_cue_first_then_distractors_and_labels_match_cue():
    X, y = make_long_range_data(200, distance=15, vocab_size=50, seed=3)
    assert X.shape == (200, 16) and X.dtype == np.int32
    assert set(np.unique(X[:, 0])) == {POSITIVE, NEGATIVE}
    assert np.array_equal(y == 1, X[:, 0] == POSITIVE)
    distractors = X[:, 1:]
    assert distractors.min() >= FIRST_DISTRACTOR and distractors.max() < 50


def test_balanced_and_deterministic_per_seed():
    X1, y1 = make_long_range_data(101, 5, seed=7)
    X2, y2 = make_long_range_data(101, 5, seed=7)
    X3, _ = make_long_range_data(101, 5, seed=8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert abs(int(y1.sum()) - 50) <= 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_examples=1, distance=5), "n_examples"),
    (dict(n_examples=10, distance=-1), "distance"),
    (dict(n_examples=10, distance=5, vocab_size=3), "vocab_size"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_long_range_data(**kwargs)


def test_summary_reports_mean_min_max_over_seeds():
    results = [RunResult("lstm", 10, s, acc) for s, acc in enumerate([1.0, 0.9, 0.8])]
    results += [RunResult("simple_rnn", 10, s, acc) for s, acc in enumerate([0.5, 0.6, 0.55])]
    table = summarize(results)
    assert table[("lstm", 10)] == pytest.approx((0.9, 0.8, 1.0))
    assert table[("simple_rnn", 10)] == pytest.approx((0.55, 0.5, 0.6))
    text = format_summary(results)
    assert "over 3 seeds" in text and "0.90 [0.80-1.00]" in text


def test_training_is_repeatable_and_lstm_learns_a_short_cue():
    kwargs = dict(n_train=400, n_val=100, epochs=5, units=16, embed_dim=16)
    first = train_on_distance("lstm", 3, seed=0, **kwargs)
    second = train_on_distance("lstm", 3, seed=0, **kwargs)
    assert first.train_loss == second.train_loss  # same seed, same machine: same numbers
    assert first.val_accuracy > 0.9
