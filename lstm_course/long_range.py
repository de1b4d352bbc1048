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
    input_scale: float | None = None  # embedding init std; None = Keras' default uniform(-0.05, 0.05)


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


KERAS_DEFAULT_EMBEDDING_STD = 0.1 / 12 ** 0.5  # std of Keras' default uniform(-0.05, 0.05): 0.0289


def scale_label(input_scale) -> str:
    """How the lesson names an embedding initialisation: "Keras default" or "std 1"."""
    return "Keras default" if input_scale is None else f"std {input_scale:g}"


def stop_when_solved(threshold: float):
    """A Keras callback that ends training once validation accuracy reaches `threshold`."""
    import keras

    class _StopWhenSolved(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (logs or {}).get("val_accuracy", 0.0) >= threshold:
                self.model.stop_training = True

    return _StopWhenSolved()


@dataclass
class Runner:
    """One compiled classifier whose traced training step is reused for many seeds (see `train_seeds`)."""

    model: object
    shape: tuple  # (cell, sequence length, units, embed_dim, vocab_size, learning_rate)
    optimizer_start: list


def make_runner(cell: str, distance: int, units: int = 32, embed_dim: int = 32, vocab_size: int = 100,
                learning_rate: float = 3e-3) -> Runner:
    """A `Runner` for `train_seeds`: build and compile the classifier once, with a fresh Adam state."""
    from .models import build_sequence_classifier

    model = build_sequence_classifier(cell, vocab_size, distance + 1, embed_dim, units, learning_rate=learning_rate)
    model.optimizer.build(model.trainable_variables)
    return Runner(model, (cell, distance + 1, units, embed_dim, vocab_size, learning_rate),
                  [v.numpy() for v in model.optimizer.variables])


def train_seeds(
    cell: str,
    distance: int,
    seeds,
    input_scale: float | None = None,
    n_train: int = 800,
    n_val: int = 200,
    epochs: int = 6,
    batch_size: int = 32,
    units: int = 32,
    embed_dim: int = 32,
    vocab_size: int = 100,
    learning_rate: float = 3e-3,
    solved_at: float | None = 0.99,
    keep_weights_for=(),
    verbose: bool = True,
    runner: Runner | None = None,
):
    """Train one classifier per seed on the long-range task, tracing the training step only once.

    Every seed starts from the weights `build_sequence_classifier` gives under that seed (with
    `input_scale` for the embedding) and a fresh Adam state, and trains on its own data (seed
    10_000 + seed, as `train_on_distance`), so each run is a fresh model; only the traced training
    function of one `Runner` is shared (pass `runner=` to share it across calls, e.g. across input
    scales), which makes a seed cost its epochs instead of its epochs plus the tracing. A run stops early
    once its validation accuracy reaches `solved_at` (None: always `epochs` epochs): more epochs could
    not change a solved run's verdict, and only the runs that fail pay the whole budget.
    Returns `(results, weights)` where `weights[seed]` holds the trained weights of the seeds listed in
    `keep_weights_for`.
    """
    import time

    from .env import set_seed
    from .models import build_sequence_classifier

    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    if input_scale is not None and not input_scale > 0:
        raise ValueError(f"input_scale must be a positive std or None (Keras default), got {input_scale!r}")
    runner = runner or make_runner(cell, distance, units, embed_dim, vocab_size, learning_rate)
    wanted = (cell, distance + 1, units, embed_dim, vocab_size, learning_rate)
    if runner.shape != wanted:
        raise ValueError(f"this runner was made for {runner.shape}, not {wanted}")
    model = runner.model
    results, weights = [], {}
    for seed in seeds:
        set_seed(seed)
        fresh = build_sequence_classifier(cell, vocab_size, distance + 1, embed_dim, units,
                                          embedding_std=input_scale, learning_rate=learning_rate)
        model.set_weights(fresh.get_weights())
        for variable, value in zip(model.optimizer.variables, runner.optimizer_start):
            variable.assign(value)
        X, y = make_long_range_data(n_train + n_val, distance, vocab_size, seed=10_000 + seed)
        set_seed(seed)
        start = time.perf_counter()
        history = model.fit(X[:n_train], y[:n_train], validation_data=(X[n_train:], y[n_train:]),
                            epochs=epochs, batch_size=batch_size, validation_batch_size=n_val, verbose=0,
                            callbacks=[stop_when_solved(solved_at)] if solved_at is not None else [])
        result = RunResult(
            cell=cell, distance=distance, seed=seed,
            val_accuracy=float(history.history["val_accuracy"][-1]),
            train_loss=[float(v) for v in history.history["loss"]],
            val_accuracy_curve=[float(v) for v in history.history["val_accuracy"]],
            seconds=time.perf_counter() - start, input_scale=input_scale,
        )
        results.append(result)
        if seed in keep_weights_for:
            weights[seed] = model.get_weights()
        if verbose:
            print(f"{cell:>10}  N={distance:<3} {scale_label(input_scale):>13}  seed {seed}: "
                  f"val accuracy {result.val_accuracy:.2f}  ({result.seconds:.1f} s)", flush=True)
    return results, weights


def run_scale_grid(cells, distances, input_scales, seeds, keep=(), verbose=True, **train_kwargs):
    """`train_seeds` for every (cell, distance, input scale); returns `(results, kept)`.

    One `Runner` per (cell, distance) serves every input scale and seed. `keep` lists
    `(cell, distance, input_scale, seed)` whose trained weights to return:
    `kept[(cell, distance, input_scale, seed)] = weights` (rebuild with `rebuild_model`).
    """
    sizes = {k: train_kwargs[k] for k in ("units", "embed_dim", "vocab_size", "learning_rate") if k in train_kwargs}
    results, kept = [], {}
    for distance in distances:
        for cell in cells:
            runner = make_runner(cell, distance, **sizes)
            for scale in input_scales:
                wanted = [k[3] for k in keep if k[:3] == (cell, distance, scale)]
                runs, weights = train_seeds(cell, distance, seeds, scale, keep_weights_for=wanted,
                                            verbose=verbose, runner=runner, **train_kwargs)
                results += runs
                kept.update({(cell, distance, scale, seed): w for seed, w in weights.items()})
    return results, kept


def untrained_model(cell: str, distance: int, seed: int, input_scale=None, units: int = 32, embed_dim: int = 32,
                    vocab_size: int = 100, recurrent_options: dict | None = None):
    """The classifier exactly as `train_seeds` starts it for `seed` (before any training)."""
    from .env import set_seed
    from .models import build_sequence_classifier

    set_seed(seed)
    return build_sequence_classifier(cell, vocab_size, distance + 1, embed_dim, units, embedding_std=input_scale,
                                     recurrent_options=recurrent_options)


def rebuild_model(cell: str, distance: int, weights, units: int = 32, embed_dim: int = 32, vocab_size: int = 100):
    """A classifier holding `weights` (e.g. kept by `run_scale_grid`)."""
    from .models import build_sequence_classifier

    model = build_sequence_classifier(cell, vocab_size, distance + 1, embed_dim, units)
    model.set_weights(weights)
    return model


def select(results, **conditions) -> list:
    """The runs whose attributes equal `conditions`, e.g. `select(results, input_scale=None, cell="lstm")`."""
    return [r for r in results if all(getattr(r, key) == value for key, value in conditions.items())]


LEARNED = 0.9  # validation accuracy at or above this counts as "learned the cue"
CHANCE = 0.6  # below this counts as "at chance" (balanced task)


def check_lesson_parameters(distances, seeds, input_scales, epochs) -> tuple:
    """Validate lesson 1's parameters cell; return `(far, large)`: the largest distance and input scale.

    Raises ValueError naming the parameter and what it needs, so a learner's edit fails at once with a
    clear message instead of many cells later.
    """
    distances, seeds, input_scales = list(distances), list(seeds), list(input_scales)
    if not distances or any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in distances):
        raise ValueError(f"DISTANCES must be a non-empty list of whole numbers >= 1, got {distances!r}")
    if len(set(distances)) != len(distances):
        raise ValueError(f"DISTANCES has repeats: {distances!r}")
    if not seeds or any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in seeds):
        raise ValueError(f"SEEDS must be a non-empty list of whole numbers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"SEEDS has repeats: {seeds!r}")
    numbers = [s for s in input_scales if s is not None]
    if None not in input_scales or not numbers:
        raise ValueError("INPUT_SCALES needs None (Keras' default initialisation) and at least one standard "
                         f"deviation to compare it with, e.g. [None, 1.0]; got {input_scales!r}")
    if any(isinstance(s, bool) or not isinstance(s, (int, float)) or not s > 0 for s in numbers):
        raise ValueError(f"every number in INPUT_SCALES must be a positive standard deviation, got {input_scales!r}")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"EPOCHS must be a whole number >= 1, got {epochs!r}")
    return max(distances), max(numbers)


def accuracies(results, cell: str, distance: int, input_scale) -> list:
    """Final validation accuracy of every seed of one (cell, distance, input scale), in seed order."""
    runs = sorted(select(results, cell=cell, distance=distance, input_scale=input_scale), key=lambda r: r.seed)
    if not runs:
        raise ValueError(f"no runs for {cell} at N={distance} with input scale {input_scale!r}")
    return [r.val_accuracy for r in runs]


def memory_verdict(results, distance: int, input_scale) -> str:
    """One sentence, from the measurements, on what each model did at `distance` with `input_scale`."""
    parts = []
    for cell, name in (("simple_rnn", "SimpleRNN"), ("lstm", "LSTM")):
        accs = accuracies(results, cell, distance, input_scale)
        learned = sum(a >= LEARNED for a in accs)
        at_chance = sum(a < CHANCE for a in accs)
        parts.append(f"the {name} learned the cue with {learned} of {len(accs)} seeds"
                     + (f" and stayed at chance with {at_chance}" if at_chance else "")
                     + f" (accuracy {min(accs):.2f}-{max(accs):.2f})")
    return f"At N={distance} with embeddings initialised at {scale_label(input_scale)}: " + "; ".join(parts) + "."


def who_remembers_better(results, distance: int, input_scale) -> str:
    """"LSTM", "SimpleRNN" or "neither": the model that learned the cue (accuracy >= LEARNED) with more seeds."""
    rnn, lstm = (sum(a >= LEARNED for a in accuracies(results, c, distance, input_scale))
                 for c in ("simple_rnn", "lstm"))
    return "LSTM" if lstm > rnn else "SimpleRNN" if rnn > lstm else "neither"


def epochs_used(results, cell: str, distance: int, input_scale) -> list:
    """Epochs each seed trained: fewer than the budget means it reached the `solved_at` accuracy early."""
    runs = sorted(select(results, cell=cell, distance=distance, input_scale=input_scale), key=lambda r: r.seed)
    return [len(r.val_accuracy_curve) for r in runs]
