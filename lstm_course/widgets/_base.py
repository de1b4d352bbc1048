"""What every lesson explorer shares: a panel of controls over a text panel and a figure.

Works with ipywidgets 7 (Colab) and 8 (JupyterLab 4, Notebook 7): only core widgets (sliders, text
boxes, HTML, Image, VBox) and `observe(..., names="value")`, which both versions have. Results go into
the `value` of HTML and Image widgets rather than into an Output widget, so they render in every front
end and can be checked in tests without one.
"""
import base64
import html
import io
import time

import ipywidgets as widgets

from ..env import in_colab

IPYWIDGETS_MAJOR = int(widgets.__version__.split(".")[0])

# Failures a learner's input can cause; anything else is a bug and is reported as one (still no traceback).
INPUT_ERRORS = (ValueError, TypeError, KeyError)


def figure_png(fig, dpi: int = 80) -> bytes:
    """The figure as PNG bytes; the figure is closed so that it is not shown a second time."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)  # the figures use tight_layout; "tight" bbox would draw twice
    plt.close(fig)
    return buffer.getvalue()


def message_html(text: str, kind: str = "error") -> str:
    """A short coloured message box (kind: "error", "warning" or "info"); the text is escaped."""
    colors = {"error": ("#fdecea", "#b71c1c"), "warning": ("#fff8e1", "#8a6d00"), "info": ("#e8f1fb", "#0d47a1")}
    if kind not in colors:
        raise ValueError(f"kind must be one of {sorted(colors)}, got {kind!r}")
    background, color = colors[kind]
    return (f'<div class="lstm-course-{kind}" style="background:{background};color:{color};'
            f'padding:6px 10px;border-radius:4px;max-width:60em">{html.escape(str(text))}</div>')


def bars_html(labels, values, max_value: float = 1.0, value_format: str = "{:.2f}", color: str = "#1f77b4",
              title: str = "") -> str:
    """Horizontal bars as plain HTML: instant to draw and readable in any front end."""
    labels, values = list(labels), [float(v) for v in values]
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels but {len(values)} values")
    if max_value <= 0:
        raise ValueError(f"max_value must be positive, got {max_value}")
    rows = []
    for label, value in zip(labels, values):
        width = 100.0 * min(max(value / max_value, 0.0), 1.0)
        rows.append(
            '<tr><td style="text-align:right;padding-right:6px;white-space:nowrap">'
            f"{html.escape(str(label))}</td>"
            '<td style="width:22em"><div style="background:#eee;width:100%">'
            f'<div style="background:{color};width:{width:.1f}%;height:1.1em"></div></div></td>'
            f'<td style="padding-left:6px;font-family:monospace">{html.escape(value_format.format(value))}</td></tr>'
        )
    caption = f"<div><b>{html.escape(title)}</b></div>" if title else ""
    return f'{caption}<table class="lstm-course-bars">{"".join(rows)}</table>'


def chart_svg(x_labels, series, y_range, highlight=None, title: str = "", width: int = 640,
              height: int = 170) -> str:
    """A small line/bar chart as inline SVG: drawn in well under a millisecond, unlike a matplotlib figure.

    `series` is a list of dicts with `name`, `values` (one per x label), `color` and `kind` ("line" or
    "bar"); `y_range` is (low, high); `highlight` is the index of an x label to shade.
    """
    low, high = (float(v) for v in y_range)
    if not high > low:
        raise ValueError(f"y_range must go from low to high, got {y_range}")
    n = len(x_labels)
    for s in series:
        if len(s["values"]) != n:
            raise ValueError(f"series {s['name']!r} has {len(s['values'])} values for {n} x labels")
    left, right, top, bottom = 42, 8, 22, 34
    step = (width - left - right) / max(n, 1)

    def x(i):
        return left + step * (i + 0.5)

    def y(v):
        v = min(max(float(v), low), high)
        return top + (high - v) / (high - low) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">']
    if highlight is not None:
        parts.append(f'<rect x="{x(highlight) - step / 2:.1f}" y="{top}" width="{step:.1f}" '
                     f'height="{height - top - bottom}" fill="gold" opacity="0.35"/>')
    for value in sorted({low, high, 0.0} if low < 0 < high else {low, high}):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#bbb" stroke-width="{1 if value == 0 else 0.5}"/>'
                     f'<text x="{left - 4}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>')
    zero = y(min(max(0.0, low), high))
    for s in series:
        color = s["color"]
        if s.get("kind", "line") == "bar":
            for i, v in enumerate(s["values"]):
                top_y, bar_h = min(y(v), zero), abs(y(v) - zero)
                parts.append(f'<rect x="{x(i) - step * 0.3:.1f}" y="{top_y:.1f}" width="{step * 0.6:.1f}" '
                             f'height="{bar_h:.1f}" fill="{color}" opacity="0.45"/>')
        else:
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s["values"]))
            parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
            parts += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>'
                      for i, v in enumerate(s["values"])]
    for i, label in enumerate(x_labels):
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                     f"{html.escape(str(label))}</text>")
    legend_x = left
    if title:
        parts.append(f'<text x="{left}" y="13" font-weight="bold">{html.escape(title)}</text>')
        legend_x += 8 * len(title) + 16
    for s in series:
        parts.append(f'<rect x="{legend_x}" y="4" width="10" height="10" fill="{s["color"]}"/>'
                     f'<text x="{legend_x + 14}" y="13">{html.escape(s["name"])}</text>')
        legend_x += 14 + 7 * len(s["name"]) + 14
    parts.append("</svg>")
    return "".join(parts)


class Explorer(widgets.VBox):
    """Controls on top, then a text panel (`self.text`, HTML) and a figure (`self.figure`, PNG image).

    Subclasses implement `render()`, which reads the controls and returns `(html, png_bytes_or_None)`.
    Every change of a control calls `update()`; `last_update_seconds` records how long it took.
    Bad input never shows a traceback: the message of the error replaces the figure.
    """

    def __init__(self, title: str, controls: dict, **kwargs):
        self.controls = dict(controls)
        self.text = widgets.HTML()
        # align_self: the box would otherwise stretch the picture to its full width (blurry, too tall)
        self.figure = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", align_self="flex-start"))
        self.last_update_seconds = None
        self.error = None  # the message shown instead of a result, or None
        header = widgets.HTML(f"<b>{html.escape(title)}</b>")
        super().__init__(children=[header, *self.controls.values(), self.text, self.figure], **kwargs)
        # CSS classes name the parts for the browser test (and for anyone styling the course)
        self.add_class("lstm-course-explorer")
        self.text.add_class("lstm-course-text")
        self.figure.add_class("lstm-course-figure")
        for name, control in self.controls.items():
            control.add_class(f"lstm-course-control-{name}")
            control.observe(self._on_change, names="value")
        self.update()

    def render(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def summary(self) -> str:
        """The current state in one or two lines of plain text (for printouts and static copies)."""
        return self.error or ""

    def _on_change(self, change):
        self.update()

    def update(self) -> None:
        start = time.perf_counter()
        try:
            text, png = self.render()
            self.error = None
        except INPUT_ERRORS as error:
            text, png = message_html(str(error)), None
            self.error = str(error)
        except Exception as error:  # a bug, not the learner's fault: say so plainly, no traceback
            self.error = f"{type(error).__name__}: {error}"
            text, png = message_html(f"Something went wrong in the explorer ({self.error}). "
                                     "Re-run the cells above, then try again."), None
        self.text.value = text
        if png is not None:
            self.figure.value = png
        self.figure.layout.display = None if png is not None else "none"
        self.last_update_seconds = time.perf_counter() - start

    def _repr_mimebundle_(self, **kwargs):
        # ipywidgets 8 displays widgets through this method. Besides the live widget, add a still copy of
        # the current state: front ends with widget support show the widget, while a notebook executed
        # without one (CI, a page on GitHub) shows the copy instead of nothing. Colab is left alone.
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None or in_colab():
            return bundle
        bundle["text/plain"] = self.summary()
        if self.figure.layout.display != "none" and self.figure.value:
            # The still copy is a figure: it carries alt text (the explorer's summary of what it shows).
            bundle["image/png"] = base64.b64encode(self.figure.value).decode("ascii")
            return bundle, {"image/png": {"alt": self.summary()}}
        bundle["text/html"] = self.text.value
        return bundle
