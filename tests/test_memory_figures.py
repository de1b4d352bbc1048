import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from lstm_course.long_range import RunResult  # noqa: E402
from lstm_course.memory_figures import plot_accuracy_by_scale, plot_gradient_curves  # noqa: E402


def _runs():
    accs = {("simple_rnn", None): 1.0, ("lstm", None): 1.0, ("simple_rnn", 1.0): 0.5, ("lstm", 1.0): 0.95}
    return [RunResult(cell, d, seed, acc - 0.01 * seed, input_scale=scale)
            for (cell, scale), acc in accs.items() for d in (10, 40) for seed in range(3)]


def test_accuracy_figure_has_one_panel_per_scale_from_zero_and_alt_text_from_the_data():
    fig, alt = plot_accuracy_by_scale(_runs(), [None, 1.0])
    axes = fig.axes
    assert len(axes) == 2 and all(ax.get_ylim()[0] == 0 for ax in axes)
    assert [ax.get_title() for ax in axes] == ["Embeddings initialised: Keras default",
                                               "Embeddings initialised: std 1"]
    assert axes[0].get_xlabel() and axes[0].get_ylabel()
    assert "std 1: SimpleRNN N=10 0.49 [0.48-0.50], N=40 0.49 [0.48-0.50]; LSTM N=10 0.94 [0.93-0.95]" in alt
    with pytest.raises(ValueError, match="no runs with input scale 0.3"):
        plot_accuracy_by_scale(_runs(), [None, 0.3])


def test_gradient_figure_is_log_scale_and_alt_text_gives_first_and_last_values():
    curves = {"SimpleRNN": ("simple_rnn", np.array([1e-6, 1e-3, 1.0])), "LSTM": ("lstm", np.array([1e-2, 0.1, 1.0]))}
    fig, alt = plot_gradient_curves({"left": curves, "right": curves}, "Gradient per step")
    assert len(fig.axes) == 2 and fig.axes[0].get_yscale() == "log"
    assert "left, SimpleRNN: 1.0e-06 at t=0, 1.0e+00 at the last step." in alt
