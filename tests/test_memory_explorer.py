"""Lesson 1's explorer over runs with several input scales (tests/test_widgets.py covers one scale)."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from lstm_course.long_range import RunResult  # noqa: E402
from lstm_course.widgets import memory  # noqa: E402


def _runs():
    accs = {("simple_rnn", None): 1.0, ("lstm", None): 1.0, ("simple_rnn", 1.0): 0.5, ("lstm", 1.0): 0.9}
    return [RunResult(cell, d, seed, acc, input_scale=scale)
            for (cell, scale), acc in accs.items() for d in (10, 40) for seed in range(2)]


def _norms():
    steps = np.arange(41)
    return {None: {"SimpleRNN at init": 0.99 ** (40 - steps)}, 1.0: {"SimpleRNN at init": 0.6 ** (40 - steps)}}


def test_scales_are_never_mixed_and_each_has_its_own_gradients():
    runs = _runs()
    with pytest.raises(ValueError, match="mix input scales"):
        memory.memory_at_distance(runs, _norms()[1.0], 40)
    with pytest.raises(ValueError, match="per input scale"):
        memory.memory_at_distance(memory.runs_at_scale(runs, 1.0), _norms(), 40)
    large = memory.memory_at_distance(runs, _norms(), 40, input_scale=1.0)
    assert large["accuracy"]["simple_rnn"] == [0.5, 0.5] and large["input_scale"] == 1.0
    assert large["gradient"]["SimpleRNN at init"] == pytest.approx(0.6 ** 40)
    default = memory.memory_at_distance(runs, _norms(), 40, input_scale=None)
    assert default["accuracy"]["simple_rnn"] == [1.0, 1.0]
    assert "(std 1 embeddings)" in memory.describe_memory(large)
    with pytest.raises(ValueError, match="no runs with input scale 0.3"):
        memory.memory_at_distance(runs, _norms(), 40, input_scale=0.3)


def test_explorer_offers_a_scale_menu_and_switches_by_look_up(monkeypatch):
    explorer = memory.distance_explorer(_runs(), _norms())
    redraws = []
    monkeypatch.setattr(memory, "plot_memory_at_distance", lambda *args: redraws.append(args))
    menu = explorer.controls["scale"]
    assert [label for label, _ in menu.options] == ["Keras default", "std 1"] and menu.value == 1.0
    assert explorer.summary().startswith("N=40 (std 1 embeddings): SimpleRNN accuracy 0.50")
    menu.value = None
    assert explorer.summary().startswith("N=40: SimpleRNN accuracy 1.00") and explorer.error is None
    assert redraws == []


def test_single_scale_results_keep_the_plain_explorer():
    runs = [r for r in _runs() if r.input_scale is None]
    explorer = memory.distance_explorer(runs, _norms()[None])
    assert "scale" not in explorer.controls and explorer.summary().startswith("N=40: SimpleRNN")
