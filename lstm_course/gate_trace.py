"""Watch a trained LSTM read: its gates, cell state and running prediction, word by word.

Works on the course's classifiers (Embedding -> LSTM -> Dense(1, sigmoid)) by re-running the trained
weights through the NumPy cell of `numpy_lstm`, so every number is inspectable.
"""
import matplotlib.pyplot as plt
import numpy as np

from .numpy_lstm import GATE_ORDER, lstm_forward, sigmoid


def _layers(model):
    kinds = [type(layer).__name__ for layer in model.layers]
    if kinds[:2] != ["Embedding", "LSTM"] or kinds[-1] != "Dense":
        raise ValueError(f"trace_gates needs Embedding -> LSTM -> Dense, got {' -> '.join(kinds)}")
    return model.layers[0], model.layers[1], model.layers[-1]


def trace_gates(model, vectorizer, text: str) -> dict:
    """Gate activations, states and P(positive) after each word of `text`.

    Returns a dict with `words` (as the model sees them, [UNK] for unknown words), one array of shape
    (words, units) per gate ("input", "forget", "candidate", "output") and for `c` and `h`, and
    `prob_positive` (words,), the prediction if the review stopped after each word.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("trace_gates needs a non-empty text")
    pairs = vectorizer.words(text)
    if not pairs:
        raise ValueError(f"no words left in {text!r} after lower-casing and removing punctuation")
    embedding, lstm, dense = _layers(model)
    # Run over exactly what the model reads: the padded row. Unless the embedding masks padding, the
    # pad steps in front (pre-padding) change the state before the first word, so they must be included.
    row = np.asarray(vectorizer([text])[0])
    positions = np.flatnonzero(row != 0)
    if len(pairs) > len(positions):  # the text was longer than seq_len: keep the words the model kept
        pairs = pairs[-len(positions):] if vectorizer.truncating == "pre" else pairs[:len(positions)]
    steps = positions if getattr(embedding, "mask_zero", False) else np.arange(len(row))
    vectors = embedding.embeddings.numpy()[row[steps]]
    kernel, recurrent_kernel, bias = (w.numpy() for w in lstm.weights)
    states = lstm_forward(vectors, kernel, recurrent_kernel, bias)
    keep = np.searchsorted(steps, positions)  # rows of `states` that belong to words
    states = {name: values[keep] for name, values in states.items()}
    logits = states["h"] @ dense.kernel.numpy() + dense.bias.numpy()
    words = [vectorizer.vocabulary[i] if i == 1 else w for w, i in pairs]
    return {"words": words, **states, "prob_positive": sigmoid(logits[:, 0])}


def plot_gate_trace(trace: dict, units: int = 8):
    """Heatmaps of the three gates and the cell state for the first `units` units, word by word,
    with the running P(positive) on top."""
    words = trace["words"]
    panels = ["forget", "input", "output", "c"]
    fig, axes = plt.subplots(len(panels) + 1, 1, figsize=(max(6, 0.55 * len(words)), 9), sharex=True)
    axes[0].plot(range(len(words)), trace["prob_positive"], marker="o")
    axes[0].axhline(0.5, color="gray", linestyle=":")
    axes[0].set(ylabel="P(positive)", ylim=(0, 1))
    for ax, name in zip(axes[1:], panels):
        values = trace[name][:, :units].T
        bound = max(1.0, float(np.abs(values).max()))  # the cell state is not squashed: it may exceed 1
        vmin, vmax = (-bound, bound) if name == "c" else (0, 1)
        image = ax.imshow(values, aspect="auto", cmap="coolwarm" if name == "c" else "viridis", vmin=vmin, vmax=vmax)
        ax.set_ylabel("cell state" if name == "c" else f"{name} gate")
        fig.colorbar(image, ax=ax, pad=0.01)
    axes[-1].set_xticks(range(len(words)), words, rotation=45, ha="right")
    fig.tight_layout()
    return fig


__all__ = ["GATE_ORDER", "plot_gate_trace", "trace_gates"]
