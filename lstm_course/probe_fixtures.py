"""Stand-ins that probe expressions may use (docs/test_authoring.md); no expected values live here.

Probe expressions are evaluated in the notebook's namespace plus `np` and every name in `__all__`
below, in the learner's notebook and in the grading kernel alike.
"""
from __future__ import annotations

import numpy as np

__all__ = ["RecordingModel", "record_call"]


class RecordingModel:
    """Stands in for a Keras model: fixed probabilities; remembers every input it was given.

    `predict` and `__call__` return the same `probabilities` row for every input row, so a test can
    check how a function uses a model (what it feeds it, how it reads the output) without training.
    """

    def __init__(self, probabilities, context_length):
        self.probabilities = np.asarray(probabilities, dtype="float32")[None, :]
        self.input_shape = (None, int(context_length))
        self.output_shape = (None, self.probabilities.shape[1])
        self.seen = []

    def predict(self, x, verbose=0, **kwargs):
        x = np.asarray(x)
        self.seen.append(x)
        return np.repeat(self.probabilities, max(1, len(x)), axis=0)

    def __call__(self, x, training=False):
        return self.predict(x)

    @property
    def last_input(self):
        """The last input as a flat list of ints (what a probe usually asks about)."""
        return [int(v) for v in np.asarray(self.seen[-1]).reshape(-1)] if self.seen else None


def record_call(function, model, *args, **kwargs):
    """Call `function(model, *args, **kwargs)`; return (its result, the model's last input)."""
    result = function(model, *args, **kwargs)
    return result, getattr(model, "last_input", None)
