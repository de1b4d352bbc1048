"""Stand-ins that probe expressions may use (docs/test_authoring.md); no expected values live here.

Probe expressions are evaluated in the notebook's namespace plus `np` and every name in `__all__`
below, in the learner's notebook and in the grading kernel alike.
"""
from __future__ import annotations

import numpy as np

__all__ = ["RecordingModel", "record_call", "lstm_case"]


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


def lstm_case(units, input_dim, batch=None, scale=0.8):
    """Inputs for one LSTM step in Keras' layout, the same on every machine (no random generator).

    Returns {"x", "h_prev", "c_prev", "kernel", "recurrent_kernel", "bias"} as float64 arrays filled
    from a sine wave, so that a test can call `lstm_step(**lstm_case(4, 3, batch=5))`; `batch=None`
    gives one example (1-D x, h_prev, c_prev). Assignment 1's tests use it; expected values stay in
    the tests.
    """
    def wave(shape, phase):
        n = int(np.prod(shape)) if shape else 1
        return scale * np.sin(np.arange(1, n + 1) * 0.7 + phase).reshape(shape)

    rows = () if batch is None else (int(batch),)
    return {
        "x": wave(rows + (input_dim,), 0.1),
        "h_prev": 0.5 * wave(rows + (units,), 0.2),
        "c_prev": 0.5 * wave(rows + (units,), 0.3),
        "kernel": wave((input_dim, 4 * units), 0.4),
        "recurrent_kernel": wave((units, 4 * units), 0.5),
        "bias": 0.5 * wave((4 * units,), 0.6),
    }
