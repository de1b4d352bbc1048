"""Wall-clock cost of one training step as sequences grow: recurrent layers vs self-attention."""
import time

import numpy as np

from .env import _quiet_tensorflow

_quiet_tensorflow()
import keras  # noqa: E402

from .models import recurrent_layer  # noqa: E402


def _attention_block(units: int):
    def block(x):
        attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=units // 2)(x, x)
        return keras.layers.GlobalAveragePooling1D()(attended)
    return block


def build_timing_model(kind: str, seq_len: int, vocab_size: int = 1000, embed_dim: int = 64, units: int = 64):
    """A binary classifier whose middle is a recurrent layer ("simple_rnn", "gru", "lstm") or
    one self-attention layer ("attention"), which looks at all positions at once."""
    inputs = keras.Input(shape=(seq_len,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim)(inputs)
    x = _attention_block(units)(x) if kind == "attention" else recurrent_layer(kind, units)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name=f"{kind}_{seq_len}")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def seconds_per_step(kind: str, seq_len: int, batch_size: int = 32, repeats: int = 5, seed: int = 0) -> float:
    """Median wall time of one `train_on_batch` call (after a warm-up call that builds the graph)."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    rng = np.random.default_rng(seed)
    X = rng.integers(1, 1000, size=(batch_size, seq_len)).astype("int32")
    y = rng.integers(0, 2, size=(batch_size, 1)).astype("float32")
    model = build_timing_model(kind, seq_len)
    model.train_on_batch(X, y)  # warm-up: tracing and graph building are not per-step costs
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(X, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))
