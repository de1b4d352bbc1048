"""Exploding gradients and gradient clipping (Pascanu, Mikolov & Bengio 2013), measured step by step.

The setting: lesson 1's long-range task (the cue first, then distractors) read by a SimpleRNN whose
recurrent matrix starts with spectral radius `recurrent_gain` > 1 (an orthogonal matrix times the gain, so
every eigenvalue has modulus exactly the gain). Everything else is Keras' default (embedding, input kernel,
biases), trained with plain SGD. Backpropagation through time multiplies one Jacobian
diag(1 - h_t^2) W_hh^T per step; with small inputs the tanh is nearly linear and the product grows like
gain^steps, so the first gradients are huge and one unclipped SGD step throws the weights into tanh's
saturated region, where the gradient vanishes and training stalls.

`clipnorm`, `clipvalue` and `global_clipnorm` are the Keras optimizer arguments that bound the step.
The training loop here records the *raw* global gradient norm (before the optimizer clips it) and the
mini-batch loss at every step, so that a lesson can plot both side by side with and without clipping.
"""
from dataclasses import dataclass, field

import numpy as np

from .env import _quiet_tensorflow

_quiet_tensorflow()
import keras  # noqa: E402

CLIP_ARGUMENTS = ("clipnorm", "clipvalue", "global_clipnorm")  # what keras.optimizers accept
SPIKE_RISE = 0.25  # a loss spike: the mini-batch loss rises by more than this (in nats) in one step


def spectral_radius(matrix) -> float:
    """Largest modulus of the eigenvalues of a square matrix (for W_hh: > 1 is needed to explode)."""
    matrix = np.asarray(matrix, dtype="float64")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"spectral_radius needs a square matrix, got shape {matrix.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def count_loss_spikes(losses, min_rise: float = SPIKE_RISE) -> int:
    """How many steps raised the loss by more than `min_rise` over the step before (NaN counts too)."""
    losses = np.asarray(losses, dtype="float64")
    if min_rise <= 0:
        raise ValueError(f"min_rise must be > 0, got {min_rise}")
    if losses.ndim != 1:
        raise ValueError("losses must be a 1-D sequence of per-step losses")
    rises = np.diff(losses)
    return int(np.sum((rises > min_rise) | (np.isnan(rises) & ~np.isnan(losses[:-1]))))


def build_exploding_rnn(seq_len: int, recurrent_gain: float = 1.5, units: int = 32, vocab_size: int = 100,
                        embed_dim: int = 16) -> keras.Model:
    """Embedding -> SimpleRNN -> Dense(1) (logits), with W_hh = gain x a random orthogonal matrix.

    Keras' default for SimpleRNN is gain 1 (orthogonal: spectral radius exactly 1).
    """
    if seq_len < 2:
        raise ValueError(f"seq_len must be at least 2, got {seq_len}")
    if recurrent_gain <= 0:
        raise ValueError(f"recurrent_gain must be > 0, got {recurrent_gain}")
    return keras.Sequential([
        keras.Input(shape=(seq_len,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embed_dim),
        keras.layers.SimpleRNN(units, recurrent_initializer=keras.initializers.Orthogonal(gain=recurrent_gain)),
        keras.layers.Dense(1),
    ], name=f"simple_rnn_gain_{recurrent_gain:g}")


def make_optimizer(learning_rate: float, clip: dict | None = None):
    """SGD with one of Keras' clipping arguments (or none); a clear error for anything else."""
    clip = dict(clip or {})
    unknown = sorted(set(clip) - set(CLIP_ARGUMENTS))
    if unknown:
        raise ValueError(f"unknown clipping argument(s) {unknown}; use one of {CLIP_ARGUMENTS}")
    if len(clip) > 1:
        raise ValueError(f"use one clipping argument at a time, got {sorted(clip)}")
    for name, value in clip.items():
        if not value or value <= 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")
    return keras.optimizers.SGD(learning_rate, **clip)


def make_train_step(model, optimizer):
    """One compiled SGD step that returns (mini-batch loss, raw global gradient norm).

    The norm is taken before the optimizer applies its clipping, so it shows what clipping had to tame.
    """
    import tensorflow as tf

    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(x_batch, y_batch):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_batch, model(x_batch, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        norm = tf.linalg.global_norm(grads)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))  # clipping happens in here
        return loss, norm

    return step


def train_recording_gradients(step, X, y, steps: int, batch_size: int = 32, seed: int = 0):
    """`steps` calls of `step` (from `make_train_step`) on random mini-batches drawn with `seed`;
    returns (losses, raw global gradient norms), one per step."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if len(X) != len(y) or len(X) < batch_size:
        raise ValueError(f"need as many labels as sequences and at least batch_size={batch_size} of them")
    rng = np.random.default_rng(seed)
    X, y = np.asarray(X, dtype="int32"), np.asarray(y, dtype="float32").reshape(-1, 1)
    losses, norms = np.empty(steps), np.empty(steps)
    for t in range(steps):
        batch = rng.integers(0, len(X), batch_size)
        loss, norm = step(X[batch], y[batch])
        losses[t], norms[t] = float(loss), float(norm)
    return losses, norms


@dataclass
class ClippingRun:
    """One training run: which clipping, which seed, and the loss and raw gradient norm at every step."""

    label: str
    clip: dict
    seed: int
    losses: np.ndarray = field(repr=False)
    grad_norms: np.ndarray = field(repr=False)
    recurrent_radius: float = 0.0  # spectral radius of W_hh at initialisation

    @property
    def final_loss(self) -> float:
        """Mean loss over the last 10 % of the steps (at least one step)."""
        tail = max(1, len(self.losses) // 10)
        return float(np.mean(self.losses[-tail:]))

    @property
    def max_grad_norm(self) -> float:
        return float(np.nanmax(self.grad_norms))

    @property
    def spikes(self) -> int:
        return count_loss_spikes(self.losses)


def initial_gradient_norm(recurrent_gain: float, seq_len: int = 50, n_examples: int = 64, seed: int = 0,
                          **model_kwargs) -> float:
    """Global gradient norm of the loss at initialisation, for one recurrent gain (no training)."""
    import tensorflow as tf

    from .env import set_seed
    from .long_range import make_long_range_data

    X, y = make_long_range_data(n_examples, seq_len - 1, seed=10_000 + seed)
    set_seed(seed)
    model = build_exploding_rnn(seq_len, recurrent_gain, **model_kwargs)
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy(from_logits=True)(y.reshape(-1, 1), model(X))
    return float(tf.linalg.global_norm(tape.gradient(loss, model.trainable_variables)))


def clipping_experiment(settings: dict, seeds=(0, 1, 2), seq_len: int = 50, recurrent_gain: float = 1.5,
                        learning_rate: float = 0.1, steps: int = 150, n_train: int = 512, batch_size: int = 32,
                        verbose: bool = True, **model_kwargs) -> list:
    """Train one fresh model per (setting, seed); `settings` maps a label to Keras clipping arguments.

    Every setting sees the same data, the same initial weights and the same mini-batches for a given
    seed, so the only difference between them is the clipping.
    """
    from .env import set_seed
    from .long_range import make_long_range_data

    if not settings:
        raise ValueError("settings must name at least one clipping setting, e.g. {'no clipping': {}}")
    if not list(seeds):
        raise ValueError("seeds must hold at least one seed")
    for label, clip in settings.items():
        make_optimizer(learning_rate, clip)  # fail early, before any training, on a bad setting
    runs = []
    data = {seed: make_long_range_data(n_train, seq_len - 1, seed=10_000 + seed) for seed in seeds}
    for label, clip in settings.items():
        # One model, optimizer and traced step per setting, reused across seeds (tracing costs more
        # than 100 steps); each seed restarts from that seed's fresh initial weights. Plain SGD keeps
        # no state besides its step counter, so nothing carries over from one seed to the next.
        model = build_exploding_rnn(seq_len, recurrent_gain, **model_kwargs)
        step = make_train_step(model, make_optimizer(learning_rate, clip))
        for seed in seeds:
            set_seed(seed)
            model.set_weights(build_exploding_rnn(seq_len, recurrent_gain, **model_kwargs).get_weights())
            radius = spectral_radius(model.layers[1].cell.recurrent_kernel.numpy())
            X, y = data[seed]
            losses, norms = train_recording_gradients(step, X, y, steps, batch_size, seed)
            run = ClippingRun(label, dict(clip), seed, losses, norms, radius)
            runs.append(run)
            if verbose:
                print(f"{label:>16}, seed {seed}: largest gradient norm {run.max_grad_norm:8.1f}, "
                      f"final loss {run.final_loss:.3f}, {run.spikes} loss spike(s)", flush=True)
    return runs


def summarize_runs(runs) -> dict:
    """Per label: over seeds, the median / min / max of final loss and largest gradient norm, spikes."""
    table = {}
    for label in dict.fromkeys(r.label for r in runs):  # first-seen order
        group = [r for r in runs if r.label == label]
        finals = np.array([r.final_loss for r in group])
        peaks = np.array([r.max_grad_norm for r in group])
        table[label] = {
            "seeds": len(group),
            "final_loss_median": float(np.median(finals)), "final_loss_min": float(finals.min()),
            "final_loss_max": float(finals.max()),
            "max_grad_norm_median": float(np.median(peaks)),
            "late_grad_norm_median": float(np.median([np.median(r.grad_norms[len(r.grad_norms) // 2:])
                                                      for r in group])),
            "spikes_total": int(sum(r.spikes for r in group)),
        }
    return table


def plot_clipping_runs(runs, axes=None, colors=None, linestyles=None):
    """Two panels: raw gradient norm (log scale) and loss per step; one line per run, one style per label."""
    import matplotlib.pyplot as plt

    from .plots import OKABE_ITO

    labels = list(dict.fromkeys(r.label for r in runs))
    palette = [OKABE_ITO[c] for c in ("vermillion", "blue", "green", "orange", "purple", "sky_blue")]
    styles = ["-", "--", "-.", ":"]
    colors = colors or {label: palette[i % len(palette)] for i, label in enumerate(labels)}
    linestyles = linestyles or {label: styles[i % len(styles)] for i, label in enumerate(labels)}
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    ax_norm, ax_loss = axes
    for run in runs:
        first = run.seed == min(r.seed for r in runs if r.label == run.label)
        steps = np.arange(1, len(run.losses) + 1)
        kwargs = dict(color=colors[run.label], linestyle=linestyles[run.label], alpha=0.85, linewidth=1.3,
                      label=run.label if first else None)
        ax_norm.semilogy(steps, run.grad_norms, **kwargs)
        ax_loss.plot(steps, run.losses, **kwargs)
    ax_norm.set(xlabel="training step", ylabel="global gradient norm before clipping (log)",
                title="Gradient norm per step")
    ax_loss.axhline(np.log(2), color="gray", linestyle=":", label="chance (ln 2)")
    ax_loss.set(xlabel="training step", ylabel="mini-batch loss (binary cross-entropy)", ylim=(0, None),
                title="Loss per step")
    ax_norm.legend(fontsize=8)
    ax_loss.legend(fontsize=8)
    return axes
