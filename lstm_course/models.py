"""Keras models the course builds again and again, in Keras 3 style (`keras.Input`, no `input_length`)."""
from .env import _quiet_tensorflow

_quiet_tensorflow()
import keras  # noqa: E402

# One formula, kept with the NumPy cell it describes; re-exported here next to the models it counts.
from .numpy_lstm import param_count as lstm_param_count  # noqa: E402,F401

RECURRENT_LAYERS = {
    "simple_rnn": keras.layers.SimpleRNN,
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
}


def recurrent_layer(cell: str, units: int, **kwargs):
    """A recurrent layer by name: "simple_rnn", "lstm" or "gru"."""
    try:
        layer_cls = RECURRENT_LAYERS[cell]
    except KeyError:
        raise ValueError(f"cell must be one of {sorted(RECURRENT_LAYERS)}, not {cell!r}") from None
    return layer_cls(units, **kwargs)


def build_sequence_classifier(
    cell: str = "lstm",
    vocab_size: int = 5000,
    seq_len: int = 50,
    embed_dim: int = 64,
    units: int = 64,
    embedding_std: float | None = None,
    mask_zero: bool = False,
    learning_rate: float = 1e-3,
    name: str | None = None,
    recurrent_options: dict | None = None,
) -> keras.Model:
    """Embedding -> recurrent layer -> Dense(1, sigmoid), compiled for binary classification.

    With the defaults this is the seed's classifier: Embedding(5000, 64) -> LSTM(64) -> Dense(1).
    `embedding_std` initialises word vectors from N(0, std) instead of Keras' tiny uniform(-0.05, 0.05)
    default: lesson 1 shows why that matters for how far back a SimpleRNN can see.
    `recurrent_options` are passed to the recurrent layer, e.g. `{"unit_forget_bias": False}`.
    """
    init = "uniform" if embedding_std is None else keras.initializers.RandomNormal(stddev=embedding_std)
    model = keras.Sequential(
        [
            keras.Input(shape=(seq_len,), dtype="int32"),
            keras.layers.Embedding(vocab_size, embed_dim, embeddings_initializer=init, mask_zero=mask_zero),
            recurrent_layer(cell, units, **(recurrent_options or {})),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name=name or f"{cell}_classifier",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model

