import keras
import numpy as np
import pytest

from lstm_course.models import build_sequence_classifier, lstm_param_count
from lstm_course.numpy_lstm import lstm_forward, lstm_step, param_count, run_fixed_gates, sigmoid, split_gates


def keras_lstm_with_random_weights(features, units, seed=0):
    rng = np.random.default_rng(seed)
    layer = keras.layers.LSTM(units, return_sequences=True, return_state=True, dtype="float64")
    layer.build((None, None, features))
    layer.set_weights([rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()])
    return layer


@pytest.mark.parametrize("features, units", [(1, 1), (5, 3), (8, 16)])
def test_forward_matches_keras_to_1e6(features, units):
    layer = keras_lstm_with_random_weights(features, units)
    inputs = np.random.default_rng(1).normal(size=(3, 6, features))
    h_seq, h_last, c_last = (t.numpy() for t in layer(inputs))
    ours = lstm_forward(inputs, *layer.get_weights())
    assert np.abs(ours["h"] - h_seq).max() < 1e-6
    assert np.abs(ours["h"][:, -1] - h_last).max() < 1e-6
    assert np.abs(ours["c"][:, -1] - c_last).max() < 1e-6


def test_single_sequence_and_single_step_agree():
    layer = keras_lstm_with_random_weights(4, 2)
    kernel, recurrent, bias = layer.get_weights()
    x = np.random.default_rng(2).normal(size=(5, 4))
    full = lstm_forward(x, kernel, recurrent, bias)
    h, c = np.zeros(2), np.zeros(2)
    for t in range(5):
        h, c, gates = lstm_step(x[t], h, c, kernel, recurrent, bias)
        assert np.allclose(full["forget"][t], gates["forget"])
    assert np.allclose(full["h"][-1], h) and np.allclose(full["c"][-1], c)


def test_gate_ranges():
    layer = keras_lstm_with_random_weights(3, 4)
    out = lstm_forward(np.random.default_rng(3).normal(size=(10, 3)) * 5, *layer.get_weights())
    for gate in ("input", "forget", "output"):
        assert out[gate].min() >= 0 and out[gate].max() <= 1
    assert np.abs(out["candidate"]).max() <= 1


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise"):
        values = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert values.tolist() == [0.0, 0.5, 1.0]


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="kernel must have shape"):
        lstm_step(np.zeros(3), np.zeros(2), np.zeros(2), np.zeros((4, 8)), np.zeros((2, 8)), np.zeros(8))
    with pytest.raises(ValueError, match="4\\*units"):
        split_gates(np.zeros(7), 2)
    with pytest.raises(ValueError, match="inputs must be"):
        lstm_forward(np.zeros(3), np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8))


def test_param_count_matches_keras_and_the_seed_model():
    for features, units in [(64, 64), (10, 50), (7, 3)]:
        layer = keras.layers.LSTM(units)
        layer.build((None, None, features))
        assert param_count(features, units) == lstm_param_count(features, units) == layer.count_params()
    model = build_sequence_classifier()  # the seed: Embedding(5000, 64) -> LSTM(64) -> Dense(1)
    assert [layer.count_params() for layer in model.layers] == [320_000, 33_024, 65]


def test_fixed_gates_forget_and_write():
    trace = run_fixed_gates([
        dict(forget=1, input=1, candidate=-0.5, output=1),
        dict(forget=0.1, input=0, candidate=0, output=1),
        dict(forget=1, input=1, candidate=0.9, output=1),
    ])
    assert [round(s["c"], 6) for s in trace] == [-0.5, -0.05, 0.85]
    assert trace[-1]["h"] == pytest.approx(np.tanh(0.85))


@pytest.mark.parametrize("step, message", [
    (dict(forget=1.5, input=0, candidate=0, output=0), "forget gate"),
    (dict(forget=1, input=0, candidate=2, output=0), "candidate"),
    (dict(forget=1, input=0, candidate=0), "missing"),
])
def test_fixed_gates_reject_impossible_values(step, message):
    with pytest.raises(ValueError, match=message):
        run_fixed_gates([step])


# ---------------------------------------------------------------------------------------------------
# Tests added by mutation testing (tools/mutation.py): each kills a planted bug the tests above missed.
# ---------------------------------------------------------------------------------------------------
def test_initial_states_are_used_and_match_keras():
    layer = keras_lstm_with_random_weights(3, 4, seed=5)
    rng = np.random.default_rng(6)
    inputs, h0, c0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    h_seq, h_last, c_last = (t.numpy() for t in layer(inputs, initial_state=[h0, c0]))
    ours = lstm_forward(inputs, *layer.get_weights(), h0=h0, c0=c0)
    assert np.abs(ours["h"] - h_seq).max() < 1e-6 and np.abs(ours["c"][:, -1] - c_last).max() < 1e-6
    # each state on its own changes the result (neither is silently replaced by zeros)
    zeros = np.zeros((2, 4))
    for h_start, c_start in ((h0, zeros), (zeros, c0)):
        alone = lstm_forward(inputs, *layer.get_weights(), h0=h_start, c0=c_start)
        assert np.abs(alone["h"] - lstm_forward(inputs, *layer.get_weights())["h"]).max() > 1e-3


def test_computation_is_float64_whatever_the_input_dtype():
    layer = keras_lstm_with_random_weights(3, 2)
    weights = [w.astype("float32") for w in layer.get_weights()]
    x32 = np.random.default_rng(7).normal(size=(4, 3)).astype("float32")
    h, c, gates = lstm_step(x32[0], np.zeros(2, "float32"), np.zeros(2, "float32"), *weights)
    assert h.dtype == c.dtype == gates["forget"].dtype == np.float64
    # the products themselves run in float64: same result as float64 copies of the same values
    h64, c64, _ = lstm_step(x32[0].astype("float64"), np.zeros(2), np.zeros(2), *[w.astype("float64") for w in weights])
    assert np.abs(h - h64).max() < 1e-12 and np.abs(c - c64).max() < 1e-12
    assert lstm_forward(x32, *weights)["h"].dtype == np.float64


def test_sigmoid_of_integers_and_around_zero():
    assert sigmoid(np.array([0, 2, -2])).tolist() == pytest.approx([0.5, 0.8807970779778823, 0.11920292202211755])
    z = np.linspace(-3, 3, 13)
    assert np.allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)


def test_shape_error_messages_give_the_expected_shape():
    with pytest.raises(ValueError, match=r"kernel must have shape \(3, 8\), got \(4, 8\)"):
        lstm_step(np.zeros(3), np.zeros(2), np.zeros(2), np.zeros((4, 8)), np.zeros((2, 8)), np.zeros(8))
    with pytest.raises(ValueError, match=r"4\*units = 8, got 7"):
        split_gates(np.zeros(7), 2)


def test_param_count_formula_without_keras():
    # 4 blocks x (input weights + recurrent weights + bias): the seed's LSTM(64) on 64-d embeddings.
    assert param_count(64, 64) == 33_024
    assert param_count(3, 2) == 4 * (3 * 2 + 2 * 2 + 2) == 48
    assert param_count(1, 1) == 12


def test_fixed_gates_accept_the_ends_of_each_range():
    trace = run_fixed_gates([dict(forget=0, input=1, candidate=-1.0, output=0),
                             dict(forget=1, input=1, candidate=1.0, output=1)])
    assert [s["c"] for s in trace] == [-1.0, 0.0]
    with pytest.raises(ValueError, match="candidate"):
        run_fixed_gates([dict(forget=1, input=0, candidate=-1.01, output=0)])
    with pytest.raises(ValueError, match="output gate"):
        run_fixed_gates([dict(forget=1, input=0, candidate=0, output=-0.01)])
