"""Lesson 4: a prefix box with the top-k next words as bars, and a temperature slider for generation."""
import html
import warnings

import ipywidgets as widgets

from .. import next_word as nw
from ._base import Explorer, bars_html, message_html

LABEL_STYLE = {"description_width": "7em"}


class GraphCompiledModel:
    """The trained next-word model traced once into a TensorFlow graph, for the explorer's many small calls.

    An eager Keras call costs tens of milliseconds, mostly Python overhead; generating a few words takes
    a dozen calls. The traced graph runs the same float32 operations (the tests check the outputs are
    equal) in about a millisecond. Offers what the `next_word` functions use: calling, and the shapes.
    """

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        self.input_shape, self.output_shape = model.input_shape, model.output_shape
        spec = tf.TensorSpec((None,) + tuple(model.input_shape[1:]), tf.int32)
        self._graph = tf.function(lambda ids: model(ids, training=False), input_signature=[spec])

    def __call__(self, ids, training=False):
        if training:
            raise ValueError("GraphCompiledModel is for predictions only")
        import tensorflow as tf

        return self._graph(tf.convert_to_tensor(ids, dtype=tf.int32)).numpy()


def fast_model(model):
    """`GraphCompiledModel(model)` with the TensorFlow backend, else the model itself (still correct)."""
    import keras

    if keras.backend.backend() != "tensorflow" or model.input_shape[1] is None:
        return model
    return GraphCompiledModel(model)


def next_word_view(model, vocabulary, prefix: str, k: int = 5, temperature: float = 1.0, n_words: int = 4,
                   n_samples: int = 3) -> dict:
    """Everything the explorer shows for one prefix and temperature.

    Returns the top-k chart data of `next_word.top_k_chart_data` plus `at_temperature` (the probability
    of each of those words being sampled at this temperature), `samples` (`n_samples` generated texts of
    at most `n_words` new words, sampling seeds 0, 1, ...), `ended` (per sample: True when the model
    predicted next_word.END_TOKEN and generation stopped there; always False for a vocabulary without
    it) and `warning` (the text of an InputTooLongWarning, else None).
    Raises next_word.NextWordInputError (a ValueError) for empty text or unknown words.
    """
    words_list = nw.get_vocabulary(vocabulary)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", nw.InputTooLongWarning)
        chart = nw.top_k_chart_data(model, words_list, prefix, k=k)
        probabilities = nw.next_word_probabilities(model, words_list, prefix)
        probabilities[list(nw.RESERVED_IDS)] = 0.0  # never sampled, as in generate()
        sampled = nw.apply_temperature(probabilities, temperature)
        results = [nw.generate_sentence(model, words_list, prefix, n_words, temperature, seed=s)
                   for s in range(n_samples)]
    too_long = [str(w.message) for w in caught if issubclass(w.category, nw.InputTooLongWarning)]
    return {
        **chart,
        "temperature": float(temperature),
        "at_temperature": [float(sampled[words_list.index(w)]) for w in chart["words"]],
        "samples": [r["text"] for r in results],
        "ended": [r["ended"] for r in results],
        "warning": too_long[0] if too_long else None,
    }


def describe_next_word(view: dict) -> str:
    top = ", ".join(f"{w} {p:.2f}" for w, p in zip(view["words"], view["probabilities"]))
    samples = [text + (" [END]" if ended else " ...") for text, ended in zip(view["samples"], view["ended"])]
    return f"after '{' '.join(view['context'])}': {top} | T={view['temperature']:g}: " + " / ".join(samples)


class NextWordExplorer(Explorer):
    """Type the start of a sentence (press Enter) and move the temperature slider."""

    def __init__(self, model, vocabulary, prefix: str = "hello how", k: int = 5, temperature: float = 1.0,
                 n_words: int = 4, n_samples: int = 3):
        self.model, self.vocabulary = fast_model(model), nw.get_vocabulary(vocabulary)
        self.k, self.n_words, self.n_samples = k, n_words, n_samples
        self.view = None
        controls = {
            "prefix": widgets.Text(value=prefix, description="start", continuous_update=False,
                                   placeholder="e.g. hello how (press Enter)", style=LABEL_STYLE),
            "temperature": widgets.FloatSlider(value=temperature, min=0.0, max=2.0, step=0.1,
                                               description="temperature", continuous_update=False,
                                               readout_format=".1f", style=LABEL_STYLE),
        }
        super().__init__("Next words and generated text (type, press Enter; move the temperature).", controls)

    def render(self):
        view = next_word_view(self.model, self.vocabulary, self.controls["prefix"].value, self.k,
                              self.controls["temperature"].value, self.n_words, self.n_samples)
        self.view = view
        context = html.escape(" ".join(view["context"]))
        parts = [message_html(view["warning"], "warning")] if view["warning"] else []
        parts.append("<div style='display:flex;gap:2em;flex-wrap:wrap'><div>"
                     + bars_html(view["words"], view["probabilities"], title=f"model: next word after '{context}'")
                     + "</div><div>"
                     + bars_html(view["words"], view["at_temperature"], color="#E69F00",
                                 title=f"chance of being sampled at T = {view['temperature']:g}")
                     + "</div></div>")
        samples = "".join(
            f"<li>{html.escape(s)} <i>({'stopped at [END]' if ended else f'stopped after {self.n_words} words'})</i></li>"
            for s, ended in zip(view["samples"], view["ended"]))
        parts.append(f"<div>generated (T = {view['temperature']:g}, seeds 0-{self.n_samples - 1}, at most "
                     f"{self.n_words} new words):<ul>{samples}</ul></div>")
        return "".join(parts), None

    def summary(self) -> str:
        return self.error or describe_next_word(self.view)


def next_word_explorer(model, vocabulary, prefix: str = "hello how", k: int = 5, temperature: float = 1.0,
                       n_words: int = 4, n_samples: int = 3) -> NextWordExplorer:
    return NextWordExplorer(model, vocabulary, prefix, k, temperature, n_words, n_samples)
