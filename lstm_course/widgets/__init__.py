"""Interactive explorers for the lessons (ipywidgets 7 on Colab, 8 in JupyterLab 4 and Notebook 7).

One module per lesson; each explorer wraps plain functions that compute what it shows, so the numbers
are tested without any front end:

    lesson 1  memory.distance_explorer(results, norms)               memory_at_distance
    lesson 2  gates.hand_set_gates_explorer(words, steps)             fixed_gate_trace, set_word_gates
              gates.trained_gates_explorer(model, vectorizer)         gate_trace.trace_gates
    lesson 3  sentiment.sentiment_explorer(model, vectorizer)         text_prep.predict_sentiment
    lesson 4  next_word.next_word_explorer(model, vectorizer)         next_word_view

Display an explorer as the last expression of a cell. Without a widget front end (a notebook executed
in CI) it shows a still copy of its starting state instead; `explorer.summary()` prints it as text.
"""
import importlib

_EXPORTS = {
    "distance_explorer": "memory",
    "hand_set_gates_explorer": "gates",
    "trained_gates_explorer": "gates",
    "sentiment_explorer": "sentiment",
    "next_word_explorer": "next_word",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    # Import lazily: the lesson-3 and lesson-4 explorers need Keras, lesson 1's does not.
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
