"""Lesson 2: gates set by hand over a sentence, and a trained LSTM's gates on text the learner types."""
import html

import ipywidgets as widgets
import numpy as np

from ..gate_trace import describe_gate_trace, plot_gate_trace, trace_gates
from ..numpy_lstm import run_fixed_gates
from ._base import Explorer, chart_svg, figure_png

GATE_RANGES = {"forget": (0.0, 1.0), "input": (0.0, 1.0), "candidate": (-1.0, 1.0), "output": (0.0, 1.0)}
GATE_HELP = {"forget": "f: keep", "input": "i: write", "candidate": "g: what to write", "output": "o: show"}


def set_word_gates(steps, index: int, **gates) -> list:
    """A copy of `steps` with some gates of word `index` replaced (the others keep their values)."""
    if not 0 <= index < len(steps):
        raise ValueError(f"word index must be in 0..{len(steps) - 1}, got {index}")
    unknown = set(gates) - set(GATE_RANGES)
    if unknown:
        raise ValueError(f"unknown gate(s) {sorted(unknown)}; the gates are {list(GATE_RANGES)}")
    new = [dict(step) for step in steps]
    new[index].update({name: float(value) for name, value in gates.items()})
    return new


def fixed_gate_trace(words, steps) -> list:
    """`numpy_lstm.run_fixed_gates` over one sentence, each step labelled with its word."""
    if len(words) != len(steps):
        raise ValueError(f"{len(words)} words but {len(steps)} gate settings: give one per word")
    return [dict(step, word=word) for word, step in zip(words, run_fixed_gates(steps))]


def fixed_gates_svg(trace, highlight=None) -> str:
    """Top: the gate values chosen per word; bottom: the cell state c and hidden state h they produce.

    Inline SVG rather than a matplotlib figure, so the explorer redraws it in well under a millisecond.
    """
    words = [s["word"] for s in trace]
    # Okabe-Ito colours, as in the lesson figures (lstm_course.plots); the candidate is drawn as bars.
    gates = chart_svg(words, [
        {"name": GATE_HELP["forget"], "values": [s["forget"] for s in trace], "color": "#0072B2"},
        {"name": GATE_HELP["input"], "values": [s["input"] for s in trace], "color": "#E69F00"},
        {"name": GATE_HELP["output"], "values": [s["output"] for s in trace], "color": "#009E73"},
        {"name": GATE_HELP["candidate"], "values": [s["candidate"] for s in trace], "color": "#999999",
         "kind": "bar"},
    ], (-1, 1), highlight, title="gates")
    bound = max(1.0, max(abs(s["c"]) for s in trace))
    states = chart_svg(words, [
        {"name": "cell state c", "values": [s["c"] for s in trace], "color": "#CC79A7"},
        {"name": "hidden state h", "values": [s["h"] for s in trace], "color": "#D55E00"},
    ], (-bound, bound), highlight, title="states")
    return (f"<div>{gates}</div><div>{states}</div>"
            f"<div>{html.escape(describe_fixed_gates(trace))}</div>")


def describe_fixed_gates(trace) -> str:
    last = trace[-1]
    return f"after '{last['word']}': cell state c = {last['c']:+.2f}, hidden state h = {last['h']:+.2f}"


class HandSetGatesExplorer(Explorer):
    """Pick a word, set its four gates with sliders, and watch c and h over the whole sentence."""

    def __init__(self, words, steps, word=None):
        self.words = list(words)
        self.steps = [dict(step) for step in steps]
        fixed_gate_trace(self.words, self.steps)  # validate before building anything
        index = self.words.index(word) if word is not None else 0
        chooser = widgets.Dropdown(options=[(f"{i}: {w}", i) for i, w in enumerate(self.words)], value=index,
                                   description="word")
        controls = {"word": chooser}
        for name, (low, high) in GATE_RANGES.items():
            controls[name] = widgets.FloatSlider(
                value=self.steps[index][name], min=low, max=high, step=0.05, description=GATE_HELP[name],
                continuous_update=True, readout_format=".2f", style={"description_width": "8em"})
        self._syncing = False
        super().__init__("Set the gates by hand: choose a word, move its sliders.", controls)

    def _on_change(self, change):
        if self._syncing:
            return
        if change["owner"] is self.controls["word"]:
            # Show the chosen word's own gates; the sliders must not write into it while they move.
            self._syncing = True
            try:
                for name in GATE_RANGES:
                    self.controls[name].value = self.steps[change["new"]][name]
            finally:
                self._syncing = False
        self.update()

    def render(self):
        index = self.controls["word"].value
        gates = {name: self.controls[name].value for name in GATE_RANGES}
        steps = set_word_gates(self.steps, index, **gates)
        trace = fixed_gate_trace(self.words, steps)
        self.steps, self.trace = steps, trace
        return fixed_gates_svg(trace, highlight=index), None  # SVG, not matplotlib: redrawn in < 1 ms

    def summary(self) -> str:
        return self.error or describe_fixed_gates(self.trace)


def describe_trace(trace) -> str:
    """The final prediction of a trained-gate trace and which words the model did not know."""
    unknown = [w for w in trace["words"] if w == "[UNK]"]
    note = f" ({len(unknown)} word(s) outside the vocabulary read as [UNK])" if unknown else ""
    return (f"{len(trace['words'])} words; P(positive) after the last word: {trace['prob_positive'][-1]:.2f}; "
            f"mean forget gate {float(np.mean(trace['forget'])):.2f}{note}")


class TrainedGatesExplorer(Explorer):
    """Type a review (press Enter): the trained LSTM's gates, cell state and running prediction per word."""

    def __init__(self, model, vectorizer, text: str = "The movie was long, but the ending was amazing.",
                 units: int = 8):
        self.model, self.vectorizer, self.units = model, vectorizer, units
        box = widgets.Text(value=text, description="review", continuous_update=False,
                           placeholder="type a review and press Enter",
                           layout=widgets.Layout(width="90%"))
        super().__init__("The trained LSTM reading your text, word by word (press Enter).", {"text": box})

    def render(self):
        text = self.controls["text"].value
        if not text.strip():
            raise ValueError("The box is empty: type a review (a sentence or two) and press Enter.")
        trace = trace_gates(self.model, self.vectorizer, text)
        self.trace = trace
        figure = plot_gate_trace(trace, units=self.units, title="The trained LSTM reading your text")
        return html.escape(describe_trace(trace)), figure_png(figure, dpi=70)

    def summary(self) -> str:
        return self.error or describe_trace(self.trace)

    def _repr_mimebundle_(self, **kwargs):
        # The still copy shown without a widget front end is a figure: give it alt text from the trace.
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple) and "image/png" in bundle[0] and not self.error:
            units = range(min(self.units, self.trace["forget"].shape[1]))
            return bundle[0], {"image/png": {"alt": describe_gate_trace(self.trace, units)}}
        return bundle


def hand_set_gates_explorer(words, steps, word=None) -> HandSetGatesExplorer:
    return HandSetGatesExplorer(words, steps, word)


def trained_gates_explorer(model, vectorizer, text: str = "The movie was long, but the ending was amazing.",
                           units: int = 8) -> TrainedGatesExplorer:
    return TrainedGatesExplorer(model, vectorizer, text, units)
