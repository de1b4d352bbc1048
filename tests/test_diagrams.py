"""The cell diagrams: every symbol of the equations drawn and labelled, one path dark per highlight."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lstm_course import diagrams  # noqa: E402

LSTM_SYMBOLS = {"x_t", "h_prev", "c_prev", "f_t", "i_t", "g_t", "o_t", "c_t", "h_t"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _operators(fig):
    return sorted(name.split("@")[0] for name in diagrams.drawn_symbols(fig) if "@" in name)


def test_lstm_diagram_labels_every_symbol_of_the_equations():
    fig, alt = diagrams.lstm_cell()
    symbols = diagrams.drawn_symbols(fig)
    assert LSTM_SYMBOLS <= set(symbols)
    assert symbols["h_prev"] == r"$h_{t-1}$" and symbols["g_t"] == r"$g_t$"
    # three sigmoid gates, one tanh layer, tanh(c_t), three multiplications and one addition
    assert _operators(fig) == ["add"] + ["multiply"] * 3 + ["sigma"] * 3 + ["tanh_layer", "tanh_pointwise"]
    for name in ("c_{t-1}", "h_{t-1}", "x_t", "f_t", "i_t", "g_t", "o_t", "c_t", "h_t"):
        assert name in alt
    assert "All paths are drawn dark" in alt


def test_simple_rnn_diagram_has_no_cell_state_and_no_gate():
    fig, alt = diagrams.simple_rnn_cell()
    symbols = diagrams.drawn_symbols(fig)
    assert {"x_t", "h_prev", "h_t"} <= set(symbols)
    assert not {"c_prev", "c_t", "f_t", "i_t", "o_t"} & set(symbols)
    assert _operators(fig) == ["tanh_layer"]
    assert "no cell state" in diagrams.simple_rnn_cell("hidden")[1]


@pytest.mark.parametrize("cell", ["lstm", "simple_rnn"])
def test_highlight_darkens_exactly_the_chosen_path(cell):
    plain = diagrams.element_styles(diagrams.cell_diagram(cell)[0])
    assert {color for color, _ in plain.values()} == {diagrams.DARK}
    for highlight in diagrams.highlights(cell):
        fig, alt = diagrams.cell_diagram(cell, highlight)
        styles = diagrams.element_styles(fig)
        assert set(styles) == set(plain), "highlighting must not add or drop elements"
        dark = {name for name, (color, _) in styles.items() if color == diagrams.DARK}
        assert dark == set(diagrams.path_elements(cell, highlight))
        # a second cue besides colour: the dark path is also thicker than the pale rest
        assert min(styles[n][1] for n in dark) > max((styles[n][1] for n in set(styles) - dark), default=0)
        assert f"the {highlight} path" in fig.axes[0].get_title()
        assert "everything else pale" in alt


def test_lstm_paths_follow_the_equations():
    assert diagrams.highlights("lstm") == ("forget", "input", "cell", "output")
    assert {"layer_f", "mul_f", "c_in"} <= set(diagrams.path_elements("lstm", "forget"))
    assert "add" not in diagrams.path_elements("lstm", "forget")  # forgetting only multiplies
    assert {"layer_i", "layer_g", "mul_i", "add"} <= set(diagrams.path_elements("lstm", "input"))
    # the cell-state line passes no layer: no weight matrix between c_{t-1} and c_t
    assert not [n for n in diagrams.path_elements("lstm", "cell") if n.startswith("layer")]
    assert {"layer_o", "tanh_c", "mul_o", "h_out"} <= set(diagrams.path_elements("lstm", "output"))


@pytest.mark.parametrize("cell, highlight", [("lstm", "gates"), ("lstm", "hidden"), ("lstm", ""),
                                             ("simple_rnn", "forget"), ("lstm", 3)])
def test_unknown_highlight_is_a_clear_error(cell, highlight):
    with pytest.raises(ValueError, match="highlight for the .* cell must be one of"):
        diagrams.cell_diagram(cell, highlight)


def test_unknown_cell_is_a_clear_error():
    with pytest.raises(ValueError, match="cell must be one of"):
        diagrams.cell_diagram("gru")
