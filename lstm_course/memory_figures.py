"""Lesson 1's figures: accuracy against distance per input scale, and gradient decay per step.

Both follow the course's figure conventions (plots.py): Okabe-Ito colours with a marker and a line style
per model, labelled axes, a title, error bars over seeds, and an alt text built from the plotted numbers.
"""
import matplotlib.pyplot as plt
import numpy as np

from .long_range import scale_label, select, summarize
from .plots import COLORS, LABELS, LINESTYLES, MARKERS


def plot_accuracy_by_scale(results, input_scales):
    """One panel per input scale: mean accuracy against distance, min-max over seeds, every seed as a dot.

    Returns `(fig, alt)`.
    """
    input_scales = list(input_scales)
    if not input_scales:
        raise ValueError("input_scales is empty")
    fig, axes = plt.subplots(1, len(input_scales), figsize=(5.2 * len(input_scales), 3.6), sharey=True,
                             squeeze=False)
    alt = ["Accuracy against distance N, one panel per input scale; mean with min-max over seeds."]
    for ax, scale in zip(axes[0], input_scales):
        runs = select(results, input_scale=scale)
        if not runs:
            raise ValueError(f"no runs with input scale {scale!r}")
        table = summarize(runs)
        panel = [scale_label(scale) + ":"]
        for cell in [c for c in COLORS if any(k[0] == c for k in table)]:
            distances = sorted(d for c, d in table if c == cell)
            mean, lo, hi = (np.array([table[(cell, d)][i] for d in distances]) for i in range(3))
            ax.errorbar(distances, mean, yerr=[mean - lo, hi - mean], marker=MARKERS[cell], capsize=4,
                        color=COLORS[cell], linestyle=LINESTYLES[cell], label=f"{LABELS[cell]} (mean, min-max)")
            for d in distances:
                accs = [r.val_accuracy for r in runs if (r.cell, r.distance) == (cell, d)]
                ax.scatter([d] * len(accs), accs, marker=MARKERS[cell], facecolor="none",
                           edgecolor=COLORS[cell], s=30, alpha=0.8)
            panel.append(f"{LABELS[cell]} " + ", ".join(
                f"N={d} {m:.2f} [{a:.2f}-{b:.2f}]" for d, m, a, b in zip(distances, mean, lo, hi)))
        ax.axhline(0.5, color="gray", linestyle=":", label="chance (0.5)")
        ax.set(xlabel="distance N (distractors after the cue)", ylim=(0, 1.05),
               title=f"Embeddings initialised: {scale_label(scale)}")
        alt.append(panel[0] + " " + "; ".join(panel[1:]) + ".")
    axes[0][0].set_ylabel("final validation accuracy")
    axes[0][0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig, " ".join(alt)


def plot_gradient_curves(panels: dict, title: str):
    """Gradient norm per time step on a log scale; `panels` maps a panel title to {label: (cell, curve)}.

    Returns `(fig, alt)`; the alt text gives each curve's value at the first and the last step.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.6), sharey=True, squeeze=False)
    alt = [title + ", log scale."]
    for ax, (panel_title, curves) in zip(axes[0], panels.items()):
        for label, (cell, curve) in curves.items():
            curve = np.ravel(curve)
            dashed = "no forget bias" in label or "trained" in label
            ax.semilogy(np.arange(curve.size), curve, marker=MARKERS[cell], markevery=max(1, curve.size // 8),
                        color=COLORS[cell], linestyle=":" if dashed else LINESTYLES[cell], label=label)
            alt.append(f"{panel_title}, {label}: {curve[0]:.1e} at t=0, {curve[-1]:.1e} at the last step.")
        ax.set(xlabel="time step t (0 = the cue word)", title=panel_title)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("gradient norm |d logit / d x_t|")
    fig.suptitle(title)
    fig.tight_layout()
    return fig, " ".join(alt)
