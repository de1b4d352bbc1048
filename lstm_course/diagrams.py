"""Cell diagrams drawn by the course's own code: the LSTM cell and, for contrast, the SimpleRNN cell.

One master diagram per cell, redrawn with one path dark and everything else pale (Olah 2015 draws his
step-by-step walk-through this way), so a lesson shows the same picture for each mechanism:

    fig, alt = lstm_cell(highlight="forget")
    show_figure(fig, alt)

Every drawn piece is an *element* with a name; its artists carry `gid` "element:<name>" and every
symbol label carries `gid` "symbol:<name>" (x_t, h_prev, c_prev, f_t, ...), so tests and alt text read
the picture from what was actually drawn. Drawn with matplotlib (no image files): relative image paths
break on Colab and remote ones offline. Equations stay in the lessons' LaTeX, never in pixels.
"""
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch

DARK, PALE = "#000000", "#C4C4C4"
ACTIVE_FILL, BOX_FILL = "#F0E442", "#FFFFFF"  # Okabe-Ito yellow marks the active boxes (with width)
NORMAL_WIDTH, ACTIVE_WIDTH, PALE_WIDTH = 1.6, 3.0, 1.2


@dataclass
class Element:
    """One drawn piece: a line (`points`), a layer box or a pointwise node (`center`), with its label."""

    name: str
    kind: str  # "line", "layer" (neural-network layer: a box) or "node" (pointwise operation: a circle)
    description: str  # for the alt text, e.g. "sigmoid layer computing the forget gate f_t"
    points: tuple = ()
    center: tuple = ()
    text: str = ""  # drawn inside a box or node
    symbol: str = ""  # name of the label drawn beside a line ("f_t"), "" for none
    label: str = ""  # mathtext of that label
    label_at: tuple = ()
    arrow: bool = True


@dataclass
class CellDrawing:
    title: str
    elements: list
    paths: dict  # highlight name -> element names, in reading order
    path_text: dict  # highlight name -> one sentence for the alt text
    size: tuple = (8.0, 4.6)
    limits: tuple = ((-0.4, 10.4), (-0.5, 6.0))


def _line(name, description, *points, symbol="", label="", label_at=(), arrow=True):
    return Element(name, "line", description, points=tuple(points), symbol=symbol, label=label,
                   label_at=label_at, arrow=arrow)


def _lstm_drawing() -> CellDrawing:
    cell_y, bus_y, box_y, x_in = 4.6, 1.2, 2.4, 1.6
    fx, ix, gx, ox, tx = 3.0, 4.3, 5.3, 6.6, 7.9  # columns: f, i, g, o layers; tanh(c_t) and output node
    mul_i_y = 3.55
    elements = [
        _line("c_in", "the previous cell state c_{t-1} enters on the cell-state line", (-0.2, cell_y),
              (fx - 0.25, cell_y), symbol="c_prev", label=r"$c_{t-1}$", label_at=(-0.2, cell_y + 0.35)),
        _line("h_in", "the previous hidden state h_{t-1} enters bottom left", (-0.2, bus_y), (x_in, bus_y),
              symbol="h_prev", label=r"$h_{t-1}$", label_at=(-0.2, bus_y + 0.35), arrow=False),
        _line("x_in", "the input x_t enters from below", (x_in, -0.3), (x_in, bus_y), symbol="x_t",
              label=r"$x_t$", label_at=(x_in + 0.35, -0.25), arrow=False),
        _line("bus_f", "x_t and h_{t-1} go together to every layer", (x_in, bus_y), (fx, bus_y), arrow=False),
        _line("bus_i", "", (fx, bus_y), (ix, bus_y), arrow=False),
        _line("bus_g", "", (ix, bus_y), (gx, bus_y), arrow=False),
        _line("bus_o", "", (gx, bus_y), (ox, bus_y), arrow=False),
        _line("to_f", "", (fx, bus_y), (fx, box_y - 0.3)),
        _line("to_i", "", (ix, bus_y), (ix, box_y - 0.3)),
        _line("to_g", "", (gx, bus_y), (gx, box_y - 0.3)),
        _line("to_o", "", (ox, bus_y), (ox, box_y - 0.3)),
        Element("layer_f", "layer", "a sigmoid layer computes the forget gate f_t", center=(fx, box_y),
                text=r"$\sigma$"),
        Element("layer_i", "layer", "a sigmoid layer computes the input gate i_t", center=(ix, box_y),
                text=r"$\sigma$"),
        Element("layer_g", "layer", "a tanh layer computes the candidate g_t", center=(gx, box_y),
                text=r"$\tanh$"),
        Element("layer_o", "layer", "a sigmoid layer computes the output gate o_t", center=(ox, box_y),
                text=r"$\sigma$"),
        _line("f_out", "f_t goes up to the forget multiplication", (fx, box_y + 0.3), (fx, cell_y - 0.25),
              symbol="f_t", label=r"$f_t$", label_at=(fx + 0.3, 3.6)),
        _line("i_out", "i_t goes to the input multiplication", (ix, box_y + 0.3), (ix, mul_i_y),
              (gx - 0.25, mul_i_y), symbol="i_t", label=r"$i_t$", label_at=(ix - 0.35, 3.05)),
        _line("g_out", "g_t goes to the input multiplication", (gx, box_y + 0.3), (gx, mul_i_y - 0.25),
              symbol="g_t", label=r"$g_t$", label_at=(gx + 0.35, 2.95)),
        Element("mul_f", "node", "a pointwise multiplication f_t times c_{t-1}: what is kept",
                center=(fx, cell_y), text=r"$\times$"),
        Element("mul_i", "node", "a pointwise multiplication i_t times g_t: what is written",
                center=(gx, mul_i_y), text=r"$\times$"),
        _line("written", "the written part goes up to the addition", (gx, mul_i_y + 0.25), (gx, cell_y - 0.25)),
        _line("cell_mid", "the kept part goes along the cell-state line to the addition", (fx + 0.25, cell_y),
              (gx - 0.25, cell_y)),
        Element("add", "node", "a pointwise addition gives the new cell state c_t", center=(gx, cell_y),
                text=r"$+$"),
        _line("c_out", "the new cell state c_t leaves on the right", (gx + 0.25, cell_y), (10.2, cell_y),
              symbol="c_t", label=r"$c_t$", label_at=(10.0, cell_y + 0.35)),
        _line("c_tap", "a copy of c_t goes down to a pointwise tanh", (tx, cell_y), (tx, 3.85)),
        Element("tanh_c", "node", "a pointwise tanh squashes c_t into (-1, 1)", center=(tx, 3.55),
                text=r"$\tanh$"),
        _line("o_out", "o_t goes to the output multiplication", (ox, box_y + 0.3), (ox, 3.0), (tx - 0.25, 3.0),
              symbol="o_t", label=r"$o_t$", label_at=(ox + 0.35, 3.25)),
        Element("mul_o", "node", "a pointwise multiplication o_t times tanh(c_t)", center=(tx, 3.0),
                text=r"$\times$"),
        _line("h_out", "the new hidden state h_t leaves on the right", (tx, 2.75), (tx, bus_y), (10.2, bus_y),
              symbol="h_t", label=r"$h_t$", label_at=(10.0, bus_y + 0.35)),
    ]
    entry = ["x_in", "h_in"]
    paths = {
        "forget": entry + ["bus_f", "to_f", "layer_f", "f_out", "c_in", "mul_f"],
        "input": entry + ["bus_f", "bus_i", "bus_g", "to_i", "to_g", "layer_i", "layer_g", "i_out", "g_out",
                          "mul_i", "written", "add"],
        "cell": ["c_in", "mul_f", "cell_mid", "add", "c_out"],
        "output": entry + ["bus_f", "bus_i", "bus_g", "bus_o", "to_o", "layer_o", "o_out", "c_tap", "tanh_c",
                           "mul_o", "h_out"],
    }
    path_text = {
        "forget": "the forget path: x_t and h_{t-1} feed a sigmoid layer whose output f_t multiplies the old "
                  "cell state c_{t-1}; nothing is added here",
        "input": "the input path: a sigmoid layer gives i_t, a tanh layer gives the candidate g_t, their "
                 "product is added to the cell state",
        "cell": "the cell-state line: c_{t-1} is multiplied by f_t, the written part is added, and c_t leaves; "
                "no weight matrix sits on this line",
        "output": "the output path: a sigmoid layer gives o_t, which multiplies tanh(c_t) to give the hidden "
                  "state h_t",
    }
    return CellDrawing("The LSTM cell", elements, paths, path_text)


def _simple_rnn_drawing() -> CellDrawing:
    bus_y, box_y, x_in, hx = 1.2, 2.6, 1.6, 5.0
    elements = [
        _line("h_in", "the previous hidden state h_{t-1} enters bottom left", (-0.2, bus_y), (x_in, bus_y),
              symbol="h_prev", label=r"$h_{t-1}$", label_at=(-0.2, bus_y + 0.35), arrow=False),
        _line("x_in", "the input x_t enters from below", (x_in, -0.3), (x_in, bus_y), symbol="x_t",
              label=r"$x_t$", label_at=(x_in + 0.35, -0.25), arrow=False),
        _line("bus", "x_t and h_{t-1} go together to one layer", (x_in, bus_y), (hx, bus_y), (hx, box_y - 0.3)),
        Element("layer_h", "layer", "a tanh layer computes the new hidden state h_t", center=(hx, box_y),
                text=r"$\tanh$"),
        _line("h_out", "the new hidden state h_t leaves on the right", (hx, box_y + 0.3), (hx, 3.6), (10.2, 3.6),
              symbol="h_t", label=r"$h_t$", label_at=(10.0, 3.95)),
    ]
    paths = {"hidden": ["x_in", "h_in", "bus", "layer_h", "h_out"]}
    path_text = {"hidden": "the only path: x_t and h_{t-1} feed one tanh layer whose output is h_t; there is "
                           "no cell state and no gate"}
    return CellDrawing("The SimpleRNN cell", elements, paths, path_text, size=(8.0, 3.4),
                       limits=((-0.4, 10.4), (-0.5, 4.6)))


DRAWINGS = {"lstm": _lstm_drawing, "simple_rnn": _simple_rnn_drawing}


def highlights(cell: str = "lstm") -> tuple:
    """The paths `cell`'s diagram can highlight (the valid `highlight=` values besides None)."""
    return tuple(_drawing(cell).paths)


def path_elements(cell: str, highlight: str) -> list:
    """The names of the elements drawn dark for `highlight`."""
    drawing = _drawing(cell)
    _check_highlight(drawing, cell, highlight)
    return list(drawing.paths[highlight])


def cell_diagram(cell: str = "lstm", highlight: str | None = None):
    """Draw `cell` ("lstm" or "simple_rnn") with the path `highlight` dark (None: everything dark).

    Returns `(fig, alt)`: the matplotlib figure and an alt text built from the elements drawn.
    Raises ValueError naming the valid choices for an unknown cell or highlight.
    """
    drawing = _drawing(cell)
    if highlight is not None:
        _check_highlight(drawing, cell, highlight)
    every = {e.name for e in drawing.elements}
    active = every if highlight is None else set(drawing.paths[highlight])
    fig, ax = plt.subplots(figsize=drawing.size)
    ax.set_xlim(*drawing.limits[0])
    ax.set_ylim(*drawing.limits[1])
    ax.set_aspect("equal")
    ax.axis("off")
    top = drawing.limits[1][1] - 0.55
    ax.add_patch(FancyBboxPatch((0.8, 0.5), 8.2, top - 0.5, boxstyle="round,pad=0.05,rounding_size=0.4",
                                facecolor="#F7F7F7", edgecolor=PALE, linewidth=1, zorder=0, gid="cell-box"))
    for element in drawing.elements:
        _draw(ax, element, element.name in active, highlight is not None)
    suffix = "" if highlight is None else f": the {highlight} path"
    ax.set_title(drawing.title + suffix)
    fig.tight_layout()
    return fig, _alt_text(drawing, highlight)


def lstm_cell(highlight: str | None = None):
    """`cell_diagram("lstm", highlight)`: highlight one of "forget", "input", "cell", "output" or None."""
    return cell_diagram("lstm", highlight)


def simple_rnn_cell(highlight: str | None = None):
    """`cell_diagram("simple_rnn", highlight)`: highlight "hidden" or None."""
    return cell_diagram("simple_rnn", highlight)


def drawn_symbols(fig) -> dict:
    """{symbol name: label text} of every symbol label drawn in `fig` (read back from the artists)."""
    return {t.get_gid().split(":", 1)[1]: t.get_text() for ax in fig.axes for t in ax.texts
            if (t.get_gid() or "").startswith("symbol:")}


def element_styles(fig) -> dict:
    """{element name: (colour, line width)} as drawn, read back from the artists' gids."""
    from matplotlib.colors import to_hex

    styles = {}
    for ax in fig.axes:
        for artist in list(ax.patches) + list(ax.lines):
            gid = artist.get_gid() or ""
            if gid.startswith("element:"):
                color = artist.get_edgecolor() if hasattr(artist, "get_edgecolor") else artist.get_color()
                styles[gid.split(":", 1)[1]] = (to_hex(color), float(artist.get_linewidth()))
    return styles


# ---------------------------------------------------------------- drawing helpers


def _drawing(cell: str) -> CellDrawing:
    if cell not in DRAWINGS:
        raise ValueError(f"cell must be one of {sorted(DRAWINGS)}, got {cell!r}")
    return DRAWINGS[cell]()


def _check_highlight(drawing, cell, highlight):
    if highlight not in drawing.paths:
        raise ValueError(f"highlight for the {cell} cell must be one of {sorted(drawing.paths)} or None, "
                         f"got {highlight!r}")


def _draw(ax, element: Element, active: bool, dimmed_others: bool):
    color = DARK if active else PALE
    width = (ACTIVE_WIDTH if dimmed_others else NORMAL_WIDTH) if active else PALE_WIDTH
    gid = f"element:{element.name}"
    text_color = DARK if active else "#8C8C8C"
    if element.kind == "line":
        xs, ys = zip(*element.points)
        if element.arrow and len(element.points) >= 2:
            ax.plot(xs[:-1], ys[:-1], color=color, linewidth=width, solid_capstyle="butt", zorder=1)
            arrow = FancyArrowPatch(element.points[-2], element.points[-1], arrowstyle="-|>", mutation_scale=12,
                                    color=color, linewidth=width, zorder=1, gid=gid, shrinkA=0, shrinkB=0)
            ax.add_patch(arrow)
        else:
            ax.plot(xs, ys, color=color, linewidth=width, solid_capstyle="butt", zorder=1, gid=gid)
    elif element.kind == "layer":
        x, y = element.center
        fill = ACTIVE_FILL if active and dimmed_others else BOX_FILL
        ax.add_patch(FancyBboxPatch((x - 0.4, y - 0.3), 0.8, 0.6, boxstyle="round,pad=0.02", facecolor=fill,
                                    edgecolor=color, linewidth=width, zorder=2, gid=gid))
        ax.text(x, y, element.text, ha="center", va="center", fontsize=12, color=text_color, zorder=3,
                gid="symbol:" + ("tanh_layer" if "tanh" in element.text else "sigma") + f"@{element.name}")
    elif element.kind == "node":
        x, y = element.center
        fill = ACTIVE_FILL if active and dimmed_others else BOX_FILL
        shape = (Ellipse((x, y), 0.9, 0.5) if "tanh" in element.text else Circle((x, y), 0.25))
        shape.set(facecolor=fill, edgecolor=color, linewidth=width, zorder=2, gid=gid)
        ax.add_patch(shape)
        name = {r"$\times$": "multiply", r"$+$": "add"}.get(element.text, "tanh_pointwise")
        ax.text(x, y, element.text, ha="center", va="center", fontsize=10 if "tanh" in element.text else 12,
                color=text_color, zorder=3, gid=f"symbol:{name}@{element.name}")
    else:  # a bug in a drawing, not a user error
        raise AssertionError(f"unknown element kind {element.kind!r}")
    if element.symbol:
        ax.text(*element.label_at, element.label, ha="center", va="center", fontsize=13, color=text_color,
                zorder=3, gid=f"symbol:{element.symbol}")


def _alt_text(drawing: CellDrawing, highlight) -> str:
    inputs = [e for e in drawing.elements if e.kind == "line" and e.symbol]
    layers = [e for e in drawing.elements if e.kind in ("layer", "node")]
    labels = ", ".join(e.symbol.replace("_prev", "_{t-1}") for e in inputs)
    parts = [f"Diagram of {drawing.title[0].lower() + drawing.title[1:]}. Labelled lines: {labels}.",
             "Inside: " + "; ".join(e.description for e in layers) + "."]
    if highlight is None:
        parts.append("All paths are drawn dark.")
    else:
        parts.append(f"Drawn dark, everything else pale: {drawing.path_text[highlight]}.")
    return " ".join(parts)


__all__ = ["cell_diagram", "drawn_symbols", "element_styles", "highlights", "lstm_cell", "path_elements",
           "simple_rnn_cell"]
