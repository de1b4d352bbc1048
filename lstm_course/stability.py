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
