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


def build_timing_model(kind: str, seq_len: int | None, vocab_size: int = 1000, embed_dim: int = 64, units: int = 64):
    """A binary classifier whose middle is a recurrent layer ("simple_rnn", "gru", "lstm") or
    one self-attention layer ("attention"), which looks at all positions at once."""
    inputs = keras.Input(shape=(seq_len,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim)(inputs)
    x = _attention_block(units)(x) if kind == "attention" else recurrent_layer(kind, units)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name=f"{kind}_{seq_len or 'any'}")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def step_times(kind: str, seq_len: int, batch_size: int = 32, repeats: int = 7, seed: int = 0) -> np.ndarray:
    """Wall time (s) of each of `repeats` `train_on_batch` calls, after a warm-up call that builds the graph.

    Report the median and a spread (`median_and_iqr`): on a shared machine single timings jump.
    """
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    if seq_len < 1 or batch_size < 1:
        raise ValueError(f"seq_len and batch_size must be positive, got {seq_len} and {batch_size}")
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
    return np.array(times)


def step_times_by_length(kind: str, lengths, batch_size: int = 32, repeats: int = 7, seed: int = 0) -> dict:
    """{length: wall times (s) of `repeats` training steps}, from ONE model that accepts any length.

    Building and tracing cost more than the steps themselves; one model per kind (Keras traces a
    length-generic step after the second length) keeps a sweep over lengths short. Each length still
    gets its own untimed warm-up step.
    """
    lengths = list(lengths)
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    if not lengths or any(int(n) < 1 for n in lengths) or batch_size < 1:
        raise ValueError(f"lengths must be positive integers and batch_size positive, got {lengths}, {batch_size}")
    rng = np.random.default_rng(seed)
    model = build_timing_model(kind, None)
    times = {}
    for length in lengths:
        X = rng.integers(1, 1000, size=(batch_size, int(length))).astype("int32")
        y = rng.integers(0, 2, size=(batch_size, 1)).astype("float32")
        model.train_on_batch(X, y)  # warm-up at this length (tracing, if any, is not a per-step cost)
        measured = []
        for _ in range(repeats):
            start = time.perf_counter()
            model.train_on_batch(X, y)
            measured.append(time.perf_counter() - start)
        times[int(length)] = np.array(measured)
    return times


def median_and_iqr(values) -> tuple:
    """(median, 25th percentile, 75th percentile) of repeated measurements."""
    values = np.asarray(values, dtype="float64")
    if values.size == 0:
        raise ValueError("median_and_iqr needs at least one value")
    q25, median, q75 = np.percentile(values, [25, 50, 75])
    return float(median), float(q25), float(q75)


def seconds_per_step(kind: str, seq_len: int, batch_size: int = 32, repeats: int = 5, seed: int = 0) -> float:
    """Median wall time of one `train_on_batch` call (after a warm-up call that builds the graph)."""
    return float(np.median(step_times(kind, seq_len, batch_size, repeats, seed)))
