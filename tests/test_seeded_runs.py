"""One traced model reused across seeds gives what fresh models give; timing helpers for lesson 5."""
import numpy as np
import pytest

from lstm_course.long_range import run_grid
from lstm_course.models import build_sequence_classifier
from lstm_course.seeded import fresh_model_per_seed
from lstm_course.stability import train_over_seeds
from lstm_course.timing import median_and_iqr, step_times_by_length

SMALL = dict(n_train=64, n_val=32, epochs=2, embed_dim=8, units=8, embedding_std=1.0)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm"])
def test_reused_model_matches_fresh_models_seed_by_seed(cell):
    fresh, _ = run_grid([cell], [6], [0, 1], verbose=False, **SMALL)
    reused = train_over_seeds(cell, 6, [0, 1], verbose=False, **SMALL)
    for a, b in zip(fresh, reused):
        assert (a.seed, a.cell) == (b.seed, b.cell)
        np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-5)
        assert a.val_accuracy_curve == pytest.approx(b.val_accuracy_curve)
    assert fresh[0].train_loss != fresh[1].train_loss  # the seeds really differ


def test_fresh_model_per_seed_resets_weights_and_refuses_bad_input():
    def build():
        return build_sequence_classifier("lstm", vocab_size=20, seq_len=5, embed_dim=4, units=4)

    starts = {}
    for seed, model in fresh_model_per_seed(build, [3, 3]):
        starts.setdefault(seed, []).append([w.copy() for w in model.get_weights()])
        model.fit(np.ones((4, 5), "int32"), np.ones(4), epochs=1, verbose=0)  # moves the weights
    first, second = starts[3]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    with pytest.raises(ValueError, match="at least one seed"):
        next(fresh_model_per_seed(build, []))
    sizes = iter([4, 8])

    def changing():
        return build_sequence_classifier("lstm", vocab_size=20, seq_len=5, embed_dim=4, units=next(sizes))

    with pytest.raises(ValueError, match="same architecture"):
        list(fresh_model_per_seed(changing, [0, 1]))


def test_train_over_seeds_input_errors():
    with pytest.raises(ValueError, match="seed"):
        train_over_seeds("lstm", 5, [], verbose=False)
    with pytest.raises(ValueError, match="epochs"):
        train_over_seeds("lstm", 5, [0], epochs=0, verbose=False)


def test_median_and_iqr():
    assert median_and_iqr([1, 2, 3, 4, 5]) == (3.0, 2.0, 4.0)
    with pytest.raises(ValueError):
        median_and_iqr([])


def test_step_times_by_length_times_every_length_with_one_model():
    times = step_times_by_length("lstm", [5, 9, 13], batch_size=4, repeats=3)
    assert list(times) == [5, 9, 13]
    assert all(len(t) == 3 and (t > 0).all() for t in times.values())
    with pytest.raises(ValueError, match="lengths"):
        step_times_by_length("lstm", [0])
    with pytest.raises(ValueError, match="repeats"):
        step_times_by_length("gru", [5], repeats=0)
