"""The long-range memory task of lesson 1: the sentiment cue comes first, then `distance` distractors.

A sequence is `[cue, w1, ..., w_distance]` where the cue is POSITIVE (label 1) or NEGATIVE (label 0)
and the w_i are random "neutral" words. To classify it, a model must carry one word across
`distance` steps: the seed's "The movie ... was actually very good" stretched out and made measurable.
"""
from dataclasses import dataclass, field

import numpy as np

PAD, POSITIVE, NEGATIVE = 0, 1, 2
FIRST_DISTRACTOR = 3


def make_long_range_data(n_examples: int, distance: int, vocab_size: int = 100, seed: int = 0):
    """Return `(X, y)`: int32 sequences of length `distance + 1` and 0/1 labels (balanced)."""
    if n_examples < 2:
        raise ValueError(f"n_examples must be at least 2, got {n_examples}")
    if distance < 0:
        raise ValueError(f"distance must be >= 0, got {distance}")
    if vocab_size <= FIRST_DISTRACTOR:
        raise ValueError(f"vocab_size must be > {FIRST_DISTRACTOR} to leave room for distractors")
    rng = np.random.default_rng(seed)
    y = np.arange(n_examples) % 2  # exactly balanced
    rng.shuffle(y)
    X = rng.integers(FIRST_DISTRACTOR, vocab_size, size=(n_examples, distance + 1), dtype=np.int32)
    X[:, 0] = np.where(y == 1, POSITIVE, NEGATIVE)
    return X, y.astype("float32")


@dataclass
class RunResult:
    """One training run of one model on one distance with one seed."""

    cell: str
    distance: int
    seed: int
    val_accuracy: float
    train_loss: list = field(default_factory=list)
    val_accuracy_curve: list = field(default_factory=list)
    seconds: float = 0.0


def train_on_distance(
    cell: str,
    distance: int,
    seed: int,
    n_train: int = 1000,
    n_val: int = 400,
    epochs: int = 10,
    batch_size: int = 32,
    units: int = 32,
    embed_dim: int = 16,
    vocab_size: int = 100,
    embedding_std: float | None = 1.0,
    learning_rate: float = 3e-3,
    return_model: bool = False,
):
    """Train one classifier on the long-range task and report its final validation accuracy."""
    import time

    from .env import set_seed
    from .models import build_sequence_classifier

    X, y = make_long_range_data(n_train + n_val, distance, vocab_size, seed=10_000 + seed)
    set_seed(seed)
    model = build_sequence_classifier(
        cell, vocab_size, distance + 1, embed_dim, units, embedding_std=embedding_std, learning_rate=learning_rate
    )
    start = time.perf_counter()
    history = model.fit(
        X[:n_train], y[:n_train], validation_data=(X[n_train:], y[n_train:]),
        epochs=epochs, batch_size=batch_size, verbose=0,
    )
    result = RunResult(
        cell=cell,
        distance=distance,
        seed=seed,
        val_accuracy=float(history.history["val_accuracy"][-1]),
        train_loss=[float(v) for v in history.history["loss"]],
        val_accuracy_curve=[float(v) for v in history.history["val_accuracy"]],
        seconds=time.perf_counter() - start,
    )
    return (result, model, (X, y)) if return_model else result


def summarize(results) -> dict:
    """{(cell, distance): (mean, min, max) of final validation accuracy over seeds}."""
    table = {}
    for key in sorted({(r.cell, r.distance) for r in results}):
        accs = np.array([r.val_accuracy for r in results if (r.cell, r.distance) == key])
        table[key] = (float(accs.mean()), float(accs.min()), float(accs.max()))
    return table


def format_summary(results) -> str:
    """A plain-text table: one row per model, one column per distance, `mean [min-max]`."""
    table = summarize(results)
    cells = sorted({c for c, _ in table}, key=["simple_rnn", "gru", "lstm"].index)
    distances = sorted({d for _, d in table})
    n_seeds = len({r.seed for r in results})
    lines = [f"final validation accuracy, mean [min-max] over {n_seeds} seeds"]
    lines.append("model".ljust(11) + "".join(f"N={d}".rjust(19) for d in distances))
    for cell in cells:
        row = cell.ljust(11)
        for d in distances:
            mean, lo, hi = table[(cell, d)]
            row += f"{mean:.2f} [{lo:.2f}-{hi:.2f}]".rjust(19)
        lines.append(row)
    return "\n".join(lines)


def run_grid(cells, distances, seeds, keep_models_for=(), verbose=True, **train_kwargs):
    """Train every (cell, distance, seed) combination; return `(results, models)`.

    `keep_models_for` lists `(cell, distance, seed)` triples whose trained models (and data) to keep,
    e.g. for measuring their gradients afterwards; `models[(cell, distance, seed)] = (model, (X, y))`.
    """
    results, models = [], {}
    keep = set(keep_models_for)
    for distance in distances:
        for cell in cells:
            for seed in seeds:
                key = (cell, distance, seed)
                result, model, data = train_on_distance(cell, distance, seed, return_model=True, **train_kwargs)
                results.append(result)
                if key in keep:
                    models[key] = (model, data)
                if verbose:
                    print(f"{cell:>10}  N={distance:<3} seed {seed}: val accuracy {result.val_accuracy:.2f}"
                          f"  ({result.seconds:.1f} s)")
    return results, models
