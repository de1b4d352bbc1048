"""How much the model "feels" each time step: gradient norms with respect to each step's input."""
import numpy as np

from .env import _quiet_tensorflow

_quiet_tensorflow()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

TARGETS = ("logit", "loss")


def input_gradient_norms(model: keras.Model, X, y=None, target: str = "logit") -> np.ndarray:
    """Mean over examples of the gradient norm with respect to the embedded word at each time step.

    target="logit": d(score before the sigmoid)/d(embedding_t): how strongly word t can still move the
        decision. It does not shrink just because the model is confident, so it compares fairly before
        and after training.
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
