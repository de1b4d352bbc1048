"""Training-stability measures over several seeds: which ones really tell SimpleRNN and LSTM apart.

The spread of final accuracy over seeds can be ~0 for both models (both always fail, or both always
succeed), so the course also looks at the path: loss spikes and epochs spent at chance.
"""
import numpy as np

CHANCE_THRESHOLD = 0.6  # validation accuracy below this counts as "still at chance" on a balanced task


def loss_spike(losses) -> float:
    """Largest rise of the training loss from one epoch to the next (0 when it never rises)."""
    losses = [float(v) for v in losses]
    return max([0.0] + [later - earlier for earlier, later in zip(losses, losses[1:])])


def epochs_at_chance(val_accuracies, threshold: float = CHANCE_THRESHOLD) -> int:
    """How many epochs ended with validation accuracy below `threshold`."""
    return int(sum(float(a) < threshold for a in val_accuracies))


def spread(values) -> float:
    """max - min: how much the seeds disagree."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("spread needs at least one value")
    return max(values) - min(values)


def stability_table(results) -> dict:
    """Per cell: final accuracy mean and spread, mean epochs at chance, largest loss spike over seeds.

    `results` are `long_range.RunResult`s (any number of seeds per cell).
    """
    table = {}
    for cell in sorted({r.cell for r in results}):
        runs = [r for r in results if r.cell == cell]
        finals = [r.val_accuracy for r in runs]
        table[cell] = {
            "seeds": len(runs),
            "final_accuracy_mean": float(np.mean(finals)),
            "final_accuracy_spread": spread(finals),
            "epochs_at_chance_mean": float(np.mean([epochs_at_chance(r.val_accuracy_curve) for r in runs])),
            "loss_spike_max": max(loss_spike(r.train_loss) for r in runs),
        }
    return table


def train_over_seeds(cell: str, distance: int, seeds, n_train: int = 800, n_val: int = 200, epochs: int = 8,
                     batch_size: int = 32, units: int = 32, embed_dim: int = 32, vocab_size: int = 100,
                     embedding_std: float | None = 1.0, learning_rate: float = 3e-3, verbose: bool = True):
    """Lesson 1's long-range task for one cell over several seeds, tracing the model only once.

    The same as `long_range.train_on_distance` per seed (same data, fresh initial weights and a fresh
    optimizer state for each seed), but one compiled model is reused: `fit` traces its training and
    validation functions on the first seed only, which is most of a short run's cost on a CPU.
    Returns one `long_range.RunResult` per seed.
    """
    import time

    from .long_range import RunResult, make_long_range_data
    from .models import build_sequence_classifier
    from .seeded import fresh_model_per_seed

    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")

    def build():
        return build_sequence_classifier(cell, vocab_size, distance + 1, embed_dim, units,
                                         embedding_std=embedding_std, learning_rate=learning_rate)

    results = []
    for seed, model in fresh_model_per_seed(build, seeds):
        X, y = make_long_range_data(n_train + n_val, distance, vocab_size, seed=10_000 + seed)
        start = time.perf_counter()
        history = model.fit(X[:n_train], y[:n_train], validation_data=(X[n_train:], y[n_train:]),
                            epochs=epochs, batch_size=batch_size, verbose=0)
        result = RunResult(cell=cell, distance=distance, seed=seed,
                           val_accuracy=float(history.history["val_accuracy"][-1]),
                           train_loss=[float(v) for v in history.history["loss"]],
                           val_accuracy_curve=[float(v) for v in history.history["val_accuracy"]],
                           seconds=time.perf_counter() - start)
        results.append(result)
        if verbose:
            print(f"{cell:>10}  N={distance:<3} seed {seed}: val accuracy {result.val_accuracy:.2f}"
                  f"  ({result.seconds:.1f} s)", flush=True)
    return results
