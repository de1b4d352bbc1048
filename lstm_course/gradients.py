"""How much the model "feels" each time step: gradient norms with respect to each step's input."""
import numpy as np

from .env import _quiet_tensorflow

_quiet_tensorflow()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

TARGETS = ("logit", "loss")


def input_gradient_norms(model: keras.Model, X, y=None, target: str = "logit") -> np.ndarray:
    """Mean over examples of the gradient norm with respect to the embedded word at each time step.

    target="logit": d(score before the sigmoid)/d(embedding_t): how sensitive the decision is to a small
        change of word t's vector. It does not shrink just because the model is confident, so it compares
        fairly before and after training. It is a local sensitivity, not how much the word matters: a model
        that stores a word robustly can have a tiny gradient at that word and still depend on it entirely.
    target="loss": d(loss)/d(embedding_t), the gradient training actually follows (needs `y`); once the
        model is right and confident the loss, and so this gradient, goes to zero at every step.

    The model must be Embedding -> ... -> Dense(1, sigmoid), as every classifier in the course is.
    A vanishing gradient shows up as norms that shrink towards the start of the sequence.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
    layers = model.layers
    if not layers or not isinstance(layers[0], keras.layers.Embedding):
        raise ValueError("input_gradient_norms needs a model whose first layer is an Embedding")
    head = layers[-1]
    if not isinstance(head, keras.layers.Dense) or head.units != 1:
        raise ValueError("input_gradient_norms needs a model that ends in Dense(1, sigmoid)")
    if target == "loss" and y is None:
        raise ValueError('target="loss" needs the labels y')
    X = tf.convert_to_tensor(np.asarray(X), dtype=tf.int32)
    embedded = layers[0](X)
    with tf.GradientTape() as tape:
        tape.watch(embedded)
        features = embedded
        for layer in layers[1:-1]:
            features = layer(features)
        logit = tf.matmul(features, head.kernel) + head.bias
        if target == "logit":
            objective = tf.reduce_sum(logit)  # sum: each example's own gradient, not averaged away
        else:
            labels = tf.convert_to_tensor(np.asarray(y, dtype="float32").reshape(-1, 1))
            objective = tf.reduce_sum(
                tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logit)
            )
    grads = tape.gradient(objective, embedded)  # (batch, time, embed_dim)
    return tf.reduce_mean(tf.norm(grads, axis=-1), axis=0).numpy()


# --- Backpropagation through time, written out (lesson 1's equations 1.3-1.8) ---------------------------
# Row-vector convention of the course: h_t = tanh(x_t W + h_{t-1} U + b), logit = h_T v + beta.
# With a_t = 1 - h_t**2 and delta_t = d logit / d h_t (a row vector):
#   delta_{t-1} = (delta_t * a_t) U^T          d logit / d x_t = (delta_t * a_t) W^T


def _classifier_parts(model, kind):
    names = [type(layer).__name__ for layer in model.layers]
    if len(names) != 3 or names[0] != "Embedding" or names[1] != kind or names[2] != "Dense":
        raise ValueError(f"needs Embedding -> {kind} -> Dense(1), got {' -> '.join(names)}")
    if model.layers[2].units != 1:
        raise ValueError("needs a model that ends in Dense(1, sigmoid)")
    return model.layers


def per_step_factor(norms) -> float:
    """The constant factor per step that turns the last step's gradient into the first's:
    (norms[0] / norms[-1]) ** (1 / (len(norms) - 1)). 1 means no decay; 0.5 halves it every step."""
    norms = np.asarray(norms, dtype=float).ravel()
    if norms.size < 2 or not np.all(np.isfinite(norms)) or np.any(norms <= 0):
        raise ValueError("per_step_factor needs at least two positive, finite gradient norms")
    return float((norms[0] / norms[-1]) ** (1.0 / (norms.size - 1)))


def simple_rnn_bptt(model: keras.Model, X) -> dict:
    """BPTT for an Embedding -> SimpleRNN -> Dense(1) classifier in NumPy, step by step.

    Returns, averaged over the examples of X:
      input_grad   (T,) norm of d logit / d x_t: the same quantity as `input_gradient_norms`
                   (which lets GradientTape do it), so the two check each other
      hidden_grad  (T,) norm of delta_t = d logit / d h_t
      slope_rms    (T,) root mean square over units of a_t = 1 - h_t^2, the tanh slopes of step t
      step_factor  (T-1,) the measured ||delta_{t-1}|| / ||delta_t|| for t = 1..T-1
    For an orthogonal U (Keras' default recurrent initialiser), ||(delta * a) U^T|| = ||delta * a||, so each
    step's factor lies between min(a_t) and max(a_t), and is about rms(a_t) when delta is spread over units.
    """
    embedding, rnn, dense = _classifier_parts(model, "SimpleRNN")
    W, U, b = (w.numpy().astype(np.float64) for w in rnn.weights)
    v = dense.kernel.numpy().astype(np.float64)[:, 0]
    x = embedding.embeddings.numpy().astype(np.float64)[np.asarray(X)]
    batch, steps, _ = x.shape
    h = np.zeros((batch, steps, U.shape[0]))
    previous = np.zeros((batch, U.shape[0]))
    for t in range(steps):
        previous = h[:, t] = np.tanh(x[:, t] @ W + previous @ U + b)
    slopes = 1.0 - h ** 2
    delta = np.tile(v, (batch, 1))
    input_grad, hidden_grad = np.zeros((batch, steps)), np.zeros((batch, steps))
    for t in reversed(range(steps)):
        hidden_grad[:, t] = np.linalg.norm(delta, axis=1)
        through_tanh = delta * slopes[:, t]
        input_grad[:, t] = np.linalg.norm(through_tanh @ W.T, axis=1)
        delta = through_tanh @ U.T
    return {
        "input_grad": input_grad.mean(axis=0),
        "hidden_grad": hidden_grad.mean(axis=0),
        "slope_rms": np.sqrt((slopes ** 2).mean(axis=2)).mean(axis=0),
        "step_factor": (hidden_grad[:, :-1] / hidden_grad[:, 1:]).mean(axis=0),
    }


def lstm_cell_path(model: keras.Model, X) -> dict:
    """How much gradient the LSTM's cell path carries back, predicted from f_t and measured by GradientTape.

    Along the cell path alone, dc_t/dc_{t-1} = diag(f_t), so
        d logit / d c_init (cell path only) = (d logit / d c_T) * f_T * ... * f_0      (elementwise)
    with d logit / d c_T = v * o_T * (1 - tanh(c_T)^2). GradientTape measures the full d logit / d c_init,
    which adds the paths through h. Returns (means over examples):
      forget        (batch, T, units) the forget gate at every step, from the NumPy cell (numpy_lstm)
      cell_path     norm of the cell-path-only gradient reaching the initial cell state
      all_paths     norm of GradientTape's gradient with respect to the initial cell state
    """
    from .numpy_lstm import lstm_forward

    embedding, lstm, dense = _classifier_parts(model, "LSTM")
    ids = np.asarray(X)
    x = embedding.embeddings.numpy()[ids]
    kernel, recurrent_kernel, bias = (w.numpy() for w in lstm.weights)
    states = lstm_forward(x, kernel, recurrent_kernel, bias)
    v = dense.kernel.numpy().astype(np.float64)[:, 0]
    at_last_cell = v * states["output"][:, -1] * (1.0 - np.tanh(states["c"][:, -1]) ** 2)
    cell_path = at_last_cell * np.prod(states["forget"], axis=1)

    units = recurrent_kernel.shape[0]
    h0 = tf.zeros((ids.shape[0], units))
    c0 = tf.zeros((ids.shape[0], units))
    embedded = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(c0)
        logit = tf.matmul(lstm(embedded, initial_state=[h0, c0]), dense.kernel) + dense.bias
        objective = tf.reduce_sum(logit)
    all_paths = tape.gradient(objective, c0).numpy()
    return {
        "forget": states["forget"],
        "cell_path": float(np.linalg.norm(cell_path, axis=1).mean()),
        "all_paths": float(np.linalg.norm(all_paths, axis=1).mean()),
    }
