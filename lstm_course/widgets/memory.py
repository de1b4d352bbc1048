"""Lesson 1: a distance slider over the long-range results the notebook has already computed.

Nothing is trained when the slider moves: `memory_at_distance` looks the numbers up, and the figure for
every measured distance is drawn once, when the explorer is built, so moving the slider only swaps it.
"""
import html

import ipywidgets as widgets
import numpy as np

from ..long_range import scale_label, summarize
from ..plots import COLORS, LABELS, plot_accuracy_by_distance, plot_gradient_norms
from ._base import Explorer, figure_png


def _check_norms(norms) -> int:
    if not isinstance(norms, dict) or not norms:
        raise ValueError("norms must be a non-empty dict {label: gradient norm per time step}")
    lengths = {len(np.ravel(v)) for v in norms.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(f"every gradient-norm curve needs the same, non-zero number of steps; got {sorted(lengths)}")
    return lengths.pop()


def measured_distances(results) -> list:
    """The distances N at which the notebook trained models, ascending."""
    distances = sorted({r.distance for r in results})
    if not distances:
        raise ValueError("results is empty: run the accuracy-against-distance cell first")
    return distances


ONE_SCALE = object()  # memory_at_distance's default: the results hold a single input scale


def input_scales(results) -> list:
    """The embedding scales the runs used (None = Keras' default first, then ascending)."""
    scales = {getattr(r, "input_scale", None) for r in results}
    return sorted(scales, key=lambda s: (s is not None, s or 0.0))


def runs_at_scale(results, input_scale=ONE_SCALE) -> list:
    """The runs of one input scale; without `input_scale`, the results must hold only one."""
    results = list(results)
    if input_scale is ONE_SCALE:
        scales = input_scales(results)
        if len(scales) > 1:
            raise ValueError(f"the results mix input scales {[scale_label(s) for s in scales]}: pass input_scale=")
        return results
    runs = [r for r in results if getattr(r, "input_scale", None) == input_scale]
    if not runs:
        raise ValueError(f"no runs with input scale {input_scale!r}; "
                         f"the notebook measured {[scale_label(s) for s in input_scales(results)]}")
    return runs


def norms_at_scale(norms, input_scale=ONE_SCALE) -> dict:
    """`norms` is {label: curve}, or {input scale: {label: curve}} when each scale has its own curves."""
    if isinstance(norms, dict) and norms and all(isinstance(v, dict) for v in norms.values()):
        if input_scale is ONE_SCALE or input_scale not in norms:
            raise ValueError(f"norms are given per input scale {list(norms)}; pass one of them as input_scale=")
        return norms[input_scale]
    return norms


def memory_at_distance(results, norms, distance: int, input_scale=ONE_SCALE) -> dict:
    """What the explorer shows for distance N, looked up in results the notebook computed.

    `results` is the list of `long_range.RunResult`; `norms` maps a label ("SimpleRNN trained", ...) to
    the gradient norm at each time step of sequences whose last step is t = len - 1 (or, per input scale,
    {input scale: {label: curve}}). When the results hold several input scales, `input_scale` picks one.
    Returns:
      accuracy      {cell: [final validation accuracy per seed, in seed order]}
      mean, spread  {cell: mean} and {cell: (min, max)} over seeds
      step          the time step of a word `distance` steps before the last one (None if the gradient
                    sequences are shorter than that)
      gradient      {label: gradient norm at that step}; gradient_last {label: at the last step}
    """
    distances = measured_distances(results)
    results = runs_at_scale(results, input_scale)
    norms = norms_at_scale(norms, input_scale)
    distances = measured_distances(results)
    if distance not in distances:
        raise ValueError(f"no models were trained at N={distance!r}; the notebook measured N = {distances}")
    steps = _check_norms(norms)
    runs = sorted((r for r in results if r.distance == distance), key=lambda r: (r.cell, r.seed))
    cells = [c for c in COLORS if any(r.cell == c for r in runs)]
    accuracy = {c: [r.val_accuracy for r in runs if r.cell == c] for c in cells}
    table = summarize(runs)
    step = steps - 1 - distance if distance <= steps - 1 else None
    curves = {label: np.ravel(values) for label, values in norms.items()}
    return {
        "input_scale": None if input_scale is ONE_SCALE else input_scale,
        "distance": distance,
        "seeds": sorted({r.seed for r in runs}),
        "accuracy": accuracy,
        "mean": {c: table[(c, distance)][0] for c in cells},
        "spread": {c: table[(c, distance)][1:] for c in cells},
        "step": step,
        "gradient": {label: float(v[step]) for label, v in curves.items()} if step is not None else {},
        "gradient_last": {label: float(v[-1]) for label, v in curves.items()},
    }


def describe_memory(info: dict) -> str:
    """One plain-text line per model and one for the gradients: what a printout of the explorer says."""
    scale = f" ({scale_label(info['input_scale'])} embeddings)" if info.get("input_scale") is not None else ""
    lines = [f"N={info['distance']}{scale}: " + "; ".join(
        f"{LABELS[c]} accuracy {info['mean'][c]:.2f} (seeds {', '.join(f'{a:.2f}' for a in info['accuracy'][c])})"
        for c in info["accuracy"])]
    if info["step"] is not None:
        lines.append(f"gradient norm at t={info['step']} (a word {info['distance']} steps before the last): " + "; ".join(
            f"{label} {value:.1e}" for label, value in info["gradient"].items()))
    return "\n".join(lines)


def plot_memory_at_distance(info: dict, results, norms):
    """Left: accuracy against distance with every seed at N marked; right: gradient norms with step t marked."""
    import matplotlib.pyplot as plt

    fig, (acc_ax, grad_ax) = plt.subplots(1, 2, figsize=(11, 3.6))
    plot_accuracy_by_distance(results, ax=acc_ax, title=f"Accuracy; every seed at N={info['distance']}")
    acc_ax.axvline(info["distance"], color="gray", alpha=0.3, linewidth=8)
    for cell, accs in info["accuracy"].items():
        acc_ax.scatter([info["distance"]] * len(accs), accs, color=COLORS[cell], edgecolor="black", zorder=5)
    plot_gradient_norms(norms, ax=grad_ax)
    if info["step"] is not None:
        grad_ax.axvline(info["step"], color="gray", alpha=0.3, linewidth=8)
        grad_ax.set_title(f"Gradient norm; t={info['step']} is {info['distance']} steps before the last word")
    fig.tight_layout()
    return fig


class DistanceExplorer(Explorer):
    """Slider over the measured distances N (and a menu of input scales when the runs used several);
    shows accuracies per seed and the gradient N steps back."""

    def __init__(self, results, norms, distance=None):
        self.results, self.norms = list(results), dict(norms)
        measured_distances(self.results)
        self.scales = input_scales(self.results)
        several = len(self.scales) > 1
        # Draw every (scale, distance) now, so that moving a control is a look-up.
        self._cache = {}
        for scale in self.scales:
            runs = runs_at_scale(self.results, scale if several else ONE_SCALE)
            curves = norms_at_scale(self.norms, scale) if several else norms_at_scale(self.norms)
            _check_norms(curves)
            for n in measured_distances(runs):
                info = memory_at_distance(runs, curves, n)
                info["input_scale"] = scale if several else None
                self._cache[(scale, n)] = (info, figure_png(plot_memory_at_distance(info, runs, curves)))
        distances = measured_distances(self.results)
        controls = {"distance": widgets.SelectionSlider(
            options=distances, value=distances[-1] if distance is None else distance,
            description="distance N", continuous_update=True, style={"description_width": "initial"},
        )}
        if several:
            controls["scale"] = widgets.Dropdown(options=[(scale_label(s), s) for s in self.scales],
                                                 value=self.scales[-1], description="embeddings",
                                                 style={"description_width": "initial"})
        super().__init__("How far back can each model remember? Move the slider.", controls)

    def _current(self):
        scale = self.controls["scale"].value if "scale" in self.controls else self.scales[0]
        key = (scale, self.controls["distance"].value)
        if key not in self._cache:
            raise ValueError(f"no models were trained at N={key[1]} with {scale_label(scale)} embeddings")
        return self._cache[key]

    def render(self):
        info, png = self._current()
        rows = "".join(
            f"<tr><td>{LABELS[c]}</td><td>{info['mean'][c]:.2f}</td>"
            f"<td>{', '.join(f'{a:.2f}' for a in info['accuracy'][c])}</td></tr>"
            for c in info["accuracy"])
        text = (f"<table><tr><th>model</th><th>mean accuracy at N={info['distance']}</th>"
                f"<th>per seed {info['seeds']}</th></tr>{rows}</table>")
        if info["step"] is not None:
            grads = ", ".join(f"{html.escape(label)} {value:.1e}" for label, value in info["gradient"].items())
            text += f"<div>gradient norm at t={info['step']}: {grads}</div>"
        return text, png

    def summary(self) -> str:
        return self.error or describe_memory(self._current()[0])


def distance_explorer(results, norms, distance=None) -> DistanceExplorer:
    """The lesson-1 explorer (display it as the last line of a cell)."""
    return DistanceExplorer(results, norms, distance)
