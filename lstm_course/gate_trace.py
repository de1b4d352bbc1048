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


def trace_sequence(model, ids, labels=None) -> dict:
    """Gates, states and P(positive) after each step of one id sequence, exactly as `model` reads it.

    For models without a vectorizer, e.g. the long-range task's `[cue, distractor, ...]` sequences.
    `labels` names the steps (default: the ids as text). Padding ids (0) are skipped when the embedding
    masks them, as Keras does. Returns the same keys as trace_gates.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a non-empty 1-D sequence of integer ids, got shape {ids.shape}, "
                         f"dtype {ids.dtype}")
    labels = [str(i) for i in ids] if labels is None else [str(label) for label in labels]
    if len(labels) != ids.size:
        raise ValueError(f"{len(labels)} labels for {ids.size} ids: give one label per step")
    embedding, lstm, dense = _layers(model)
    vocab = embedding.embeddings.shape[0]
    if ids.min() < 0 or ids.max() >= vocab:
        raise ValueError(f"ids must be in 0..{vocab - 1} (the embedding's rows), got {ids.min()}..{ids.max()}")
    steps = np.flatnonzero(ids != 0) if getattr(embedding, "mask_zero", False) else np.arange(ids.size)
    kernel, recurrent_kernel, bias = (w.numpy() for w in lstm.weights)
    states = lstm_forward(embedding.embeddings.numpy()[ids[steps]], kernel, recurrent_kernel, bias)
    logits = states["h"] @ dense.kernel.numpy() + dense.bias.numpy()
    return {"words": [labels[i] for i in steps], **states, "prob_positive": sigmoid(logits[:, 0])}


def cue_memory(trained: dict, before: dict, labels) -> dict:
    """How a trained LSTM carries a cue from step 0 to the last step (lesson 2, the long-range task).

    `trained` and `before` are `numpy_lstm.lstm_forward` results over the same batch of sequences
    (examples, steps, units), from the trained and the untrained model; `labels` are the 0/1 cues.
    Picks the unit whose final cell state best separates the two labels and splits that final state by
    the unrolled cell update (2.9):

        c_N = (prod_{s=1..N} f_s) c_0  +  sum_{t=1..N} (prod_{s=t+1..N} f_s) i_t g_t
              `belt_part`: the cue's write carried   `written_part`: everything written after the cue

    Returns {"unit", "unit_accuracy" (the sign of that unit's final state as a classifier),
    "f_before", "f_trained" (its forget gate on steps 1..N, shape (examples, N)), "c" (its cell state,
    (examples, N + 1)), "belt_part", "written_part" (per example), "belt_share" (mean |belt_part| over
    mean |c_N|), "writes_agree" (share of steps 1..N whose write i_t g_t has the sign of c_N)}.
    """
    labels = np.asarray(labels).astype(bool)
    c = np.asarray(trained["c"])
    if c.ndim != 3 or c.shape[1] < 2 or len(labels) != c.shape[0] or labels.all() or not labels.any():
        raise ValueError("need traces of shape (examples, steps >= 2, units) and one 0/1 label per example, "
                         "with both labels present")
    if np.shape(before["forget"]) != c.shape:
        raise ValueError(f"the untrained trace has shape {np.shape(before['forget'])}, the trained one {c.shape}: "
                         "trace both models on the same sequences")
    c_end = c[:, -1]
    spread = c_end.std(axis=0)
    separation = np.abs(c_end[labels].mean(axis=0) - c_end[~labels].mean(axis=0)) / np.where(spread > 0, spread, np.inf)
    unit = int(np.argmax(separation))
    positive_sign = np.sign(c_end[labels, unit].mean())
    unit_accuracy = float(np.mean((np.sign(c_end[:, unit]) == positive_sign) == labels))
    f = np.asarray(trained["forget"])[:, 1:, unit]
    writes = np.asarray(trained["input"])[:, 1:, unit] * np.asarray(trained["candidate"])[:, 1:, unit]
    keep_from = np.cumprod(f[:, ::-1], axis=1)[:, ::-1]  # keep_from[:, k] = prod of f over steps k+1 .. N
    keep_after = np.concatenate([keep_from[:, 1:], np.ones((len(labels), 1))], axis=1)
    belt_part = c[:, 0, unit] * keep_from[:, 0]
    written_part = np.sum(keep_after * writes, axis=1)
    return {
        "unit": unit,
        "unit_accuracy": unit_accuracy,
        "f_before": np.asarray(before["forget"])[:, 1:, unit],
        "f_trained": f,
        "c": c[:, :, unit],
        "belt_part": belt_part,
        "written_part": written_part,
        "belt_share": float(np.mean(np.abs(belt_part)) / np.mean(np.abs(c_end[:, unit]))),
        "writes_agree": float(np.mean(np.sign(writes) == np.sign(c_end[:, unit])[:, None])),
    }


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


def plot_gate_trace(trace: dict, units: int = 8, title: str | None = None, unit_ids=None):
    """Heatmaps of the three gates and the cell state, one row per unit, word by word, with the running
    P(positive) on top. `unit_ids` picks the units to show (default: the first `units`)."""
    words = trace["words"]
    n_units = trace["forget"].shape[1]
    unit_ids = list(range(min(units, n_units))) if unit_ids is None else [int(u) for u in unit_ids]
    if not unit_ids or min(unit_ids) < 0 or max(unit_ids) >= n_units:
        raise ValueError(f"unit_ids must be in 0..{n_units - 1}, got {unit_ids}")
    panels = [("forget", "forget gate $f_t$"), ("input", "input gate $i_t$"), ("output", "output gate $o_t$"),
              ("c", "cell state $c_t$")]
    fig, axes = plt.subplots(len(panels) + 1, 1, figsize=(max(6, 0.45 * len(words) + 2), 10), sharex=True)
    axes[0].plot(range(len(words)), trace["prob_positive"], marker="o", color="#0072B2", label="P(positive)")
    axes[0].axhline(0.5, color="gray", linestyle=":", label="0.5")
    axes[0].set(ylabel="P(positive)", ylim=(0, 1), title=title or "A trained LSTM reading, step by step")
    axes[0].legend(loc="upper left", fontsize=8)
    axes[0].set_xlim(-0.5, len(words) - 0.5)  # the heatmaps' cells are centred on the steps
    for ax, (name, label) in zip(axes[1:], panels):
        values = trace[name][:, unit_ids].T
        bound = max(1.0, float(np.abs(values).max()))  # the cell state is not squashed: it may exceed 1
        vmin, vmax = (-bound, bound) if name == "c" else (0, 1)
        image = ax.imshow(values, aspect="auto", cmap="PuOr_r" if name == "c" else "viridis", vmin=vmin, vmax=vmax,
                          interpolation="nearest")
        ax.set_yticks(range(len(unit_ids)), [str(u) for u in unit_ids], fontsize=7)
        ax.set_ylabel("unit")
        ax.set_title(label + (" (orange > 0 > purple)" if name == "c" else " (bright = open)"), fontsize=9,
                     loc="left")
        colorbar = fig.colorbar(image, ax=ax, pad=0.01)
    # An invisible colour bar beside the top panel keeps its steps aligned with the heatmaps' columns.
    fig.colorbar(colorbar.mappable, ax=axes[0], pad=0.01).ax.set_visible(False)
    axes[-1].set_xticks(range(len(words)), words, rotation=45, ha="right")
    axes[-1].set_xlabel("step (word read)")
    fig.tight_layout()
    return fig


def describe_gate_trace(trace: dict, unit_ids=None) -> str:
    """Alt text for plot_gate_trace, from the traced numbers."""
    unit_ids = list(range(min(8, trace["forget"].shape[1]))) if unit_ids is None else list(unit_ids)
    p = trace["prob_positive"]
    return (f"Heatmaps over {len(trace['words'])} steps ({' '.join(trace['words'][:12])}"
            f"{' ...' if len(trace['words']) > 12 else ''}) for units {unit_ids}: mean forget gate "
            f"{float(trace['forget'][:, unit_ids].mean()):.2f}, mean input gate {float(trace['input'][:, unit_ids].mean()):.2f}, "
            f"mean output gate {float(trace['output'][:, unit_ids].mean()):.2f}, cell state from "
            f"{float(trace['c'][:, unit_ids].min()):+.2f} to {float(trace['c'][:, unit_ids].max()):+.2f}; "
            f"P(positive) goes from {float(p[0]):.2f} to {float(p[-1]):.2f}.")


__all__ = ["GATE_ORDER", "cue_memory", "describe_gate_trace", "plot_gate_trace", "trace_gates", "trace_sequence"]
