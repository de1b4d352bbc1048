"""Figures the lessons (and their widgets) draw from measured results."""
import matplotlib.pyplot as plt
import numpy as np

from .long_range import summarize

# Okabe-Ito, as hex colours: colour-blind safe, and Colab's matplotlib 3.10 has no `okabe_ito`
# colormap. One colour per symbol everywhere, always with a second cue (marker or line style).
OKABE_ITO = {"orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000"}
COLORS = {"simple_rnn": OKABE_ITO["vermillion"], "lstm": OKABE_ITO["blue"], "gru": OKABE_ITO["green"]}
MARKERS = {"simple_rnn": "s", "lstm": "o", "gru": "^"}
LINESTYLES = {"simple_rnn": "--", "lstm": "-", "gru": "-."}
LABELS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def show_figure(fig, alt: str):
    """Display `fig` as a PNG whose alt text is `alt`, then close it (no second copy shown).

    nbconvert and the course site carry the `alt` metadata into the HTML `<img alt=...>`. Build
    `alt` from the figure's own data (the numbers it plots), so the text alternative never drifts
    from the picture.
    """
    import io

    from IPython.display import Image, display

    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text that says what it shows")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    plt.close(fig)
    display(Image(data=buffer.getvalue(), format="png"), metadata={"image/png": {"alt": alt}})


def plot_accuracy_by_distance(results, ax=None, title=None):
    """Mean final validation accuracy against distance, with the min-max range over seeds."""
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    table = summarize(results)
    for cell in [c for c in COLORS if any(k[0] == c for k in table)]:
        distances = sorted(d for c, d in table if c == cell)
        mean, lo, hi = (np.array([table[(cell, d)][i] for d in distances]) for i in range(3))
        ax.errorbar(distances, mean, yerr=[mean - lo, hi - mean], marker=MARKERS[cell], capsize=4,
                    color=COLORS[cell], linestyle=LINESTYLES[cell], label=LABELS[cell])
    ax.axhline(0.5, color="gray", linestyle=":", label="chance")
    ax.set(xlabel="distance N (words between cue and end)", ylabel="final validation accuracy",
           ylim=(0.4, 1.05), title=title or "Accuracy against distance (min-max over seeds)")
    ax.legend()
    return ax


def plot_gradient_norms(norms: dict, ax=None, title=None):
    """Gradient norm per time step, log scale; `norms` maps a label to a 1-D array over time steps."""
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    for label, values in norms.items():
        cell = next((c for c in COLORS if label.lower().startswith(LABELS[c].lower())), None)
        style = "--" if "init" in label.lower() else "-"
        ax.semilogy(np.arange(len(values)), values, style, color=COLORS.get(cell), label=label)
    ax.set(xlabel="time step t (0 = the cue word)", ylabel="gradient norm (log scale)",
           title=title or "How much each step's word can move the decision")
    ax.legend(fontsize=8)
    return ax
