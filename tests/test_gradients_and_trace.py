import numpy as np
import pytest

from lstm_course.env import set_seed
from lstm_course.gate_trace import trace_gates
from lstm_course.gradients import input_gradient_norms
from lstm_course.long_range import make_long_range_data
from lstm_course.models import build_sequence_classifier
from lstm_course.text_prep import make_vectorizer


def test_simple_rnn_gradient_vanishes_faster_than_lstm_at_init():
    X, y = make_long_range_data(64, distance=30, seed=0)
    ratios = {}
    for cell in ("simple_rnn", "lstm"):
        set_seed(0)
        model = build_sequence_classifier(cell, vocab_size=100, seq_len=31, embed_dim=16, units=16, embedding_std=1.0)
        norms = input_gradient_norms(model, X)
        assert norms.shape == (31,) and np.all(norms > 0)
        assert norms[0] < norms[-1]  # earlier steps get less gradient
        ratios[cell] = norms[0] / norms[-1]
    assert ratios["lstm"] > 10 * ratios["simple_rnn"]


def test_loss_target_needs_labels_and_bad_models_are_refused():
    X, y = make_long_range_data(8, distance=4, seed=0)
    model = build_sequence_classifier("lstm", vocab_size=100, seq_len=5, embed_dim=4, units=4)
    assert input_gradient_norms(model, X, y, target="loss").shape == (5,)
    with pytest.raises(ValueError, match="needs the labels"):
        input_gradient_norms(model, X, target="loss")
    with pytest.raises(ValueError, match="target must be"):
        input_gradient_norms(model, X, target="accuracy")


TEXTS = ["a great film", "a terrible film", "great acting and a great story", "terrible plot and bad acting"]


@pytest.mark.parametrize("mask_zero", [False, True])
def test_gate_trace_reproduces_keras_prediction(mask_zero):
    vectorizer = make_vectorizer(TEXTS, vocab_size=50, seq_len=12)
    set_seed(1)
    model = build_sequence_classifier("lstm", vocab_size=50, seq_len=12, embed_dim=4, units=3, mask_zero=mask_zero)
    text = "A great film with an unknownword"
    trace = trace_gates(model, vectorizer, text)
    assert trace["words"] == ["a", "great", "film", "[UNK]", "[UNK]", "[UNK]"]
    assert trace["forget"].shape == (6, 3)
    keras_prob = float(model.predict(vectorizer([text]), verbose=0)[0, 0])
    assert trace["prob_positive"][-1] == pytest.approx(keras_prob, abs=1e-5)


def test_gate_trace_keeps_only_words_the_model_kept():
    vectorizer = make_vectorizer(TEXTS, vocab_size=50, seq_len=3)
    model = build_sequence_classifier("lstm", vocab_size=50, seq_len=3, embed_dim=4, units=2)
    trace = trace_gates(model, vectorizer, "a great film and a great story")
    assert trace["words"] == ["a", "great", "story"]  # truncating="pre" keeps the end


@pytest.mark.parametrize("text", ["", "   ", "!!!"])
def test_gate_trace_refuses_empty_text(text):
    vectorizer = make_vectorizer(TEXTS, vocab_size=50, seq_len=5)
    model = build_sequence_classifier("lstm", vocab_size=50, seq_len=5, embed_dim=4, units=2)
    with pytest.raises(ValueError, match="non-empty|no words"):
        trace_gates(model, vectorizer, text)


# --- BPTT written out (lesson 1, eqs. 1.2-1.6 and 1.9) ---------------------------------------------------
from lstm_course.gradients import lstm_cell_path, per_step_factor, simple_rnn_bptt  # noqa: E402
from lstm_course.long_range import untrained_model  # noqa: E402


@pytest.mark.parametrize("scale", [None, 1.0])
def test_numpy_bptt_matches_gradient_tape_and_its_slopes_predict_the_decay(scale):
    X, _ = make_long_range_data(32, distance=20, seed=1)
    model = untrained_model("simple_rnn", 20, seed=3, input_scale=scale, units=8, embed_dim=8)
    bptt = simple_rnn_bptt(model, X)
    tape = input_gradient_norms(model, X)
    np.testing.assert_allclose(bptt["input_grad"], tape, rtol=1e-4)
    predicted = np.exp(np.log(bptt["slope_rms"][1:]).mean())
    assert per_step_factor(bptt["hidden_grad"]) == pytest.approx(predicted, rel=0.1)  # eq. (1.6), orthogonal U


def test_large_inputs_saturate_the_simple_rnn_and_its_gradient_vanishes():
    X, _ = make_long_range_data(32, distance=20, seed=1)
    small = simple_rnn_bptt(untrained_model("simple_rnn", 20, 0, None, units=8, embed_dim=8), X)
    large = simple_rnn_bptt(untrained_model("simple_rnn", 20, 0, 1.0, units=8, embed_dim=8), X)
    assert small["slope_rms"].mean() > 0.95 and large["slope_rms"].mean() < 0.8
    assert per_step_factor(small["hidden_grad"]) > 0.95 > 0.8 > per_step_factor(large["hidden_grad"])


def test_per_step_factor_inverts_a_geometric_decay_and_refuses_bad_input():
    assert per_step_factor(0.5 ** np.arange(10)[::-1]) == pytest.approx(0.5)
    for bad in ([1.0], [0.0, 1.0], [np.nan, 1.0]):
        with pytest.raises(ValueError, match="positive, finite"):
            per_step_factor(bad)


def test_bptt_helpers_refuse_the_wrong_model():
    X, _ = make_long_range_data(4, distance=3, seed=0)
    with pytest.raises(ValueError, match="SimpleRNN"):
        simple_rnn_bptt(untrained_model("lstm", 3, 0), X)
    with pytest.raises(ValueError, match="LSTM"):
        lstm_cell_path(untrained_model("gru", 3, 0), X)


def test_lstm_cell_path_uses_the_forget_gates_and_unit_forget_bias_raises_them():
    X, _ = make_long_range_data(16, distance=10, seed=2)
    with_bias = lstm_cell_path(untrained_model("lstm", 10, 0, None, units=6, embed_dim=6), X)
    without = lstm_cell_path(untrained_model("lstm", 10, 0, None, units=6, embed_dim=6,
                                             recurrent_options={"unit_forget_bias": False}), X)
    assert with_bias["forget"].shape == (16, 11, 6)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    assert with_bias["forget"].mean() == pytest.approx(sigmoid(1.0), abs=0.02)  # bias 1 at init, tiny inputs
    assert without["forget"].mean() == pytest.approx(0.5, abs=0.02)
    assert with_bias["cell_path"] > 30 * without["cell_path"]  # eq. (1.9): about (0.73 / 0.5) ** 11 = 65
    assert with_bias["all_paths"] > 0 and without["all_paths"] > 0


def test_cell_path_equals_the_full_gradient_when_only_the_cell_path_exists():
    # Zero recurrent kernel: gates and candidate no longer depend on h_{t-1}, so eq. (1.8) has only diag(f_t).
    X, _ = make_long_range_data(8, distance=6, seed=4)
    model = untrained_model("lstm", 6, 0, 1.0, units=5, embed_dim=5)
    lstm = model.layers[1]
    lstm.weights[1].assign(np.zeros(lstm.weights[1].shape, dtype="float32"))
    result = lstm_cell_path(model, X)
    assert result["cell_path"] == pytest.approx(result["all_paths"], rel=1e-4)


# -- exact behaviour that mutation testing (tools/mutation.py gradients) showed was unpinned ----------------

def test_per_step_factor_uses_the_ratio_of_first_to_last_norm():
    assert per_step_factor([8.0, 4.0, 2.0]) == pytest.approx(2.0)  # (8 / 2) ** (1 / 2): it grows backwards
    assert per_step_factor([1.0, 2.0]) == pytest.approx(0.5)  # two norms are enough: one step
    assert per_step_factor(np.array([[3.0], [3.0], [3.0]])) == pytest.approx(1.0)  # any shape, flattened
    with pytest.raises(ValueError, match=r"^per_step_factor needs at least two positive, finite gradient norms$"):
        per_step_factor([2.0, np.inf])
    # input_gradient_norms returns float32 (TensorFlow's dtype): the factor is computed in float64 all the same
    norms32 = np.array([0.8, 0.3, 0.1], dtype=np.float32)
    assert per_step_factor(norms32) == float((np.float64(norms32[0]) / np.float64(norms32[-1])) ** 0.5)


def test_numpy_bptt_follows_a_nonzero_bias_and_starts_from_the_output_weights():
    X, _ = make_long_range_data(16, distance=8, seed=5)
    model = untrained_model("simple_rnn", 8, seed=1, input_scale=0.5, units=6, embed_dim=6)
    rnn, dense = model.layers[1], model.layers[2]
    rng = np.random.default_rng(0)
    rnn.weights[2].assign(rng.normal(0.0, 0.8, rnn.weights[2].shape).astype("float32"))  # a trained-looking bias
    bptt = simple_rnn_bptt(model, X)
    np.testing.assert_allclose(bptt["input_grad"], input_gradient_norms(model, X), rtol=1e-4)
    # delta_T = d logit / d h_T = v for every example, so its norm is ||v|| (not the batch's norm)
    assert bptt["hidden_grad"][-1] == pytest.approx(np.linalg.norm(dense.kernel.numpy()[:, 0]), rel=1e-6)


def test_numpy_bptt_averages_per_example_figures_and_its_slopes_are_keras_own_states():
    import keras

    X, _ = make_long_range_data(5, distance=7, seed=6)
    model = untrained_model("simple_rnn", 7, seed=2, input_scale=1.0, units=4, embed_dim=4)
    whole = simple_rnn_bptt(model, X)
    alone = [simple_rnn_bptt(model, X[i:i + 1]) for i in range(len(X))]
    for key in ("input_grad", "hidden_grad", "slope_rms", "step_factor"):
        assert whole[key].shape == ((7,) if key == "step_factor" else (8,))
        np.testing.assert_allclose(whole[key], np.mean([a[key] for a in alone], axis=0), rtol=1e-10)
    for a in alone:  # one example: the measured factor is exactly the ratio of consecutive norms
        np.testing.assert_allclose(a["step_factor"], a["hidden_grad"][:-1] / a["hidden_grad"][1:], rtol=1e-12)
    # the tanh slopes 1 - h_t^2 of the states Keras' own SimpleRNN computes, root-mean-squared over units
    embedding, rnn, _ = model.layers
    sequence = keras.layers.SimpleRNN(4, return_sequences=True)
    sequence.build((None, 8, 4))
    sequence.set_weights(rnn.get_weights())
    h = np.asarray(sequence(embedding(X)), dtype=np.float64)
    np.testing.assert_allclose(whole["slope_rms"], np.sqrt(((1 - h ** 2) ** 2).mean(axis=2)).mean(axis=0), rtol=1e-5)


def _sequential(*layers, seq_len=5):
    import keras

    model = keras.Sequential([keras.Input((seq_len,), dtype="int32"), *layers])
    return model


def test_gradient_helpers_name_the_model_they_need():
    import keras

    X, _ = make_long_range_data(4, distance=4, seed=0)
    two_outputs = _sequential(keras.layers.Embedding(20, 3), keras.layers.SimpleRNN(2), keras.layers.Dense(2))
    with pytest.raises(ValueError, match=r"^input_gradient_norms needs a model that ends in Dense\(1, sigmoid\)$"):
        input_gradient_norms(two_outputs, X)
    with pytest.raises(ValueError, match=r"^needs a model that ends in Dense\(1, sigmoid\)$"):
        simple_rnn_bptt(two_outputs, X)
    no_embedding = _sequential(keras.layers.Reshape((5, 1)), keras.layers.SimpleRNN(2), keras.layers.Dense(1))
    with pytest.raises(ValueError, match=r"^input_gradient_norms needs a model whose first layer is an Embedding$"):
        input_gradient_norms(no_embedding, X)
    extra = _sequential(keras.layers.Embedding(20, 3), keras.layers.SimpleRNN(2), keras.layers.Dense(4),
                        keras.layers.Dense(1))
    with pytest.raises(ValueError, match=r"^needs Embedding -> SimpleRNN -> Dense\(1\), got "
                                         r"Embedding -> SimpleRNN -> Dense -> Dense$"):
        simple_rnn_bptt(extra, X)
    with pytest.raises(ValueError, match=r'^target="loss" needs the labels y$'):
        input_gradient_norms(untrained_model("lstm", 4, 0), X, target="loss")


def test_loss_gradient_is_the_logit_gradient_times_the_error_of_the_prediction():
    # For one example, d loss / d x_t = (sigmoid(logit) - y) * d logit / d x_t: the norms differ by |p - y|,
    # with p the model's own prediction (a nonzero output bias included) and integer labels accepted.
    X, y = make_long_range_data(2, distance=5, seed=3)
    model = untrained_model("simple_rnn", 5, seed=0, input_scale=1.0, units=4, embed_dim=4)
    model.layers[-1].bias.assign(np.array([0.7], dtype="float32"))
    for i in range(2):
        p = float(model.predict(X[i:i + 1], verbose=0)[0, 0])
        loss_norms = input_gradient_norms(model, X[i:i + 1], np.asarray(y[i:i + 1], dtype="int64"), target="loss")
        np.testing.assert_allclose(loss_norms, abs(p - y[i]) * input_gradient_norms(model, X[i:i + 1]), rtol=1e-4)
