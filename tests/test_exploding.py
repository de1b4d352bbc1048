"""lstm_course.exploding: the measures behind lesson 5's exploding-gradient section."""
import numpy as np
import pytest

from lstm_course import exploding
from lstm_course.env import set_seed
from lstm_course.long_range import make_long_range_data


def test_spectral_radius_of_known_matrices():
    assert exploding.spectral_radius(np.diag([0.5, -2.0, 1.0])) == pytest.approx(2.0)
    rotation = np.array([[0.0, -1.5], [1.5, 0.0]])  # eigenvalues +-1.5i: modulus, not real part
    assert exploding.spectral_radius(rotation) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="square"):
        exploding.spectral_radius(np.ones((2, 3)))


def test_count_loss_spikes():
    assert exploding.count_loss_spikes([0.7, 0.6, 1.2, 0.5, 0.6, 1.0]) == 2  # +0.6 and +0.4
    assert exploding.count_loss_spikes([0.7, 0.6, 0.5]) == 0
    assert exploding.count_loss_spikes([0.7, 0.8], min_rise=0.05) == 1
    assert exploding.count_loss_spikes([0.7, float("nan"), float("nan")]) == 1  # the step that broke
    with pytest.raises(ValueError, match="min_rise"):
        exploding.count_loss_spikes([1.0, 2.0], min_rise=0)
    with pytest.raises(ValueError, match="1-D"):
        exploding.count_loss_spikes([[1.0, 2.0]])


def test_optimizer_arguments_are_checked():
    assert exploding.make_optimizer(0.1, {"clipnorm": 1.0}).clipnorm == 1.0
    assert exploding.make_optimizer(0.1).clipnorm is None
    with pytest.raises(ValueError, match="unknown clipping"):
        exploding.make_optimizer(0.1, {"clip_norm": 1.0})
    with pytest.raises(ValueError, match="one clipping argument"):
        exploding.make_optimizer(0.1, {"clipnorm": 1.0, "clipvalue": 0.5})
    with pytest.raises(ValueError, match="must be > 0"):
        exploding.make_optimizer(0.1, {"clipvalue": 0})


@pytest.mark.parametrize("gain", [0.5, 1.5, 3.0])
def test_recurrent_matrix_has_the_requested_spectral_radius(gain):
    set_seed(0)
    model = exploding.build_exploding_rnn(10, recurrent_gain=gain, units=8)
    radius = exploding.spectral_radius(model.layers[1].cell.recurrent_kernel.numpy())
    assert radius == pytest.approx(gain, rel=1e-5)


def test_bad_model_settings_are_refused():
    with pytest.raises(ValueError, match="seq_len"):
        exploding.build_exploding_rnn(1)
    with pytest.raises(ValueError, match="recurrent_gain"):
        exploding.build_exploding_rnn(10, recurrent_gain=0)


def test_gradient_at_initialisation_grows_steeply_with_the_gain():
    norms = [exploding.initial_gradient_norm(g) for g in (0.5, 1.0, 1.5, 2.0)]  # 50 steps, 32 units
    assert all(b > a for a, b in zip(norms, norms[1:])), norms
    assert norms[2] > 20 * norms[1], norms  # far more than linear in the gain: compounded over the steps


def test_clipnorm_bounds_each_update_and_the_norm_is_recorded_before_clipping():
    X, y = make_long_range_data(64, 29, seed=3)
    set_seed(0)
    model = exploding.build_exploding_rnn(30, recurrent_gain=2.0, units=16)
    before = [w.copy() for w in model.get_weights()]
    lr, clip = 0.1, 0.01
    step = exploding.make_train_step(model, exploding.make_optimizer(lr, {"clipnorm": clip}))
    losses, norms = exploding.train_recording_gradients(step, X, y, steps=1, batch_size=32)
    moves = [np.linalg.norm(a - b) for a, b in zip(model.get_weights(), before)]
    # Every dense variable's step is capped. The embedding's gradient is sparse (one row per token in
    # the batch, repeats not yet summed), so Keras caps the norm of those rows, not of their sum.
    assert max(moves[1:]) <= lr * clip * (1 + 1e-4), moves
    assert moves[0] < 2 * lr * clip, moves
    assert norms[0] > 10 * clip  # the recorded norm is the raw one, far above the cap
    assert np.isfinite(losses).all()


def test_training_loop_input_errors():
    X, y = make_long_range_data(16, 9, seed=0)
    model = exploding.build_exploding_rnn(10, units=4)
    step = exploding.make_train_step(model, exploding.make_optimizer(0.1))
    with pytest.raises(ValueError, match="steps"):
        exploding.train_recording_gradients(step, X, y, steps=0)
    with pytest.raises(ValueError, match="batch_size"):
        exploding.train_recording_gradients(step, X, y, steps=1, batch_size=32)


def test_experiment_compares_settings_from_the_same_start_and_repeats_exactly():
    settings = {"none": {}, "clipvalue": {"clipvalue": 0.01}}
    kwargs = dict(seeds=(0, 1), seq_len=20, steps=3, n_train=64, units=8, verbose=False)
    runs = exploding.clipping_experiment(settings, **kwargs)
    assert [(r.label, r.seed) for r in runs] == [("none", 0), ("none", 1), ("clipvalue", 0), ("clipvalue", 1)]
    by = {(r.label, r.seed): r for r in runs}
    for seed in (0, 1):  # same weights, same batch: the first step's loss and raw norm agree
        assert by[("none", seed)].losses[0] == by[("clipvalue", seed)].losses[0]
        assert by[("none", seed)].grad_norms[0] == by[("clipvalue", seed)].grad_norms[0]
        assert by[("none", seed)].losses[1] != by[("clipvalue", seed)].losses[1]  # then clipping changes the path
    assert by[("none", 0)].losses[0] != by[("none", 1)].losses[0]
    again = exploding.clipping_experiment(settings, **kwargs)
    assert all(np.array_equal(a.losses, b.losses) and np.array_equal(a.grad_norms, b.grad_norms)
               for a, b in zip(runs, again))
    table = exploding.summarize_runs(runs)
    assert list(table) == ["none", "clipvalue"] and table["none"]["seeds"] == 2


def test_experiment_refuses_bad_settings_before_training():
    with pytest.raises(ValueError, match="unknown clipping"):
        exploding.clipping_experiment({"bad": {"clip": 1.0}}, verbose=False)
    with pytest.raises(ValueError, match="at least one"):
        exploding.clipping_experiment({}, verbose=False)
