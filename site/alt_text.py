"""Carry each figure's alt text from the notebook output into the page's <img alt=...>.

lstm_course.plots.show_figure displays a figure with the output metadata {"image/png": {"alt": ...}}, which
nbconvert and JupyterLab honour. myst-nb 1.4 reads only "width" and "height" from an output's metadata, so
this extension wraps its image renderer to add "alt" as well (a small patch instead of a renderer plugin,
which would need an installed entry point).
"""
from myst_nb.core.render import NbElementRenderer

_render_image = NbElementRenderer.render_image


def render_image_with_alt(self, data):
    nodes = _render_image(self, data)
    alt = data.output_metadata.get(data.mime_type, {}).get("alt")
    if alt:
        for node in nodes:
            node["alt"] = str(alt)
    return nodes


def setup(app):
    NbElementRenderer.render_image = render_image_with_alt
    return {"parallel_read_safe": True, "parallel_write_safe": True}
