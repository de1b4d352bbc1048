"""Make a graded notebook safe to open in the instructor's browser (feedback HTML, formgrader).

Everything a student's notebook can put into HTML is cleaned with nh3 (a maintained HTML sanitiser,
the Rust `ammonia` library; never regular expressions): Markdown and raw cells, rich outputs, and
Markdown attachments. Outputs keep only MIME types that are data or are sanitised here; anything
that runs code in a browser (JavaScript, widgets, SVG with scripts, unknown types) is replaced by a
plain-text note. nbconvert escapes code, streams and tracebacks itself.
"""
from __future__ import annotations

import base64
import binascii
import html as html_module

import nbformat
import nh3

SAFE_AS_TEXT = {"text/plain", "text/latex"}  # nbconvert escapes these
IMAGES = {"image/png", "image/jpeg", "image/gif"}  # base64 bitmaps; rendered in an <img> only
REMOVED_NOTE = "[output removed by the grader: {kinds} could run code in the instructor's browser]"


def clean_html(text) -> str:
    if isinstance(text, list):
        text = "".join(text)
    return nh3.clean(str(text))


def markdown_as_clean_html(markdown) -> str:
    """Render Markdown as nbconvert would, sanitise the HTML, and wrap it as ONE raw HTML block.

    nbconvert's Markdown renderer keeps raw HTML and `javascript:` links, so cleaning the Markdown
    text is not enough: the rendered HTML is what gets cleaned. Blank lines would end the HTML
    block (CommonMark) and let the rest be parsed as Markdown again, so they become `&#10;`.
    """
    from nbconvert.filters.markdown import markdown2html  # noqa: PLC0415 - nbconvert is heavy

    if isinstance(markdown, list):
        markdown = "".join(markdown)
    try:
        rendered = markdown2html(str(markdown))
    except Exception:  # noqa: BLE001 - e.g. a missing attachment: show the text, escaped
        rendered = f"<pre>{html_module.escape(str(markdown))}</pre>"
    html = nh3.clean(rendered)
    while "\n\n" in html:
        html = html.replace("\n\n", "&#10;\n")
    return f"<div>\n{html.strip()}\n</div>"


def _may_hold_markup(text: str) -> bool:
    """Plain prose (no tag, entity, link or reference) renders to harmless HTML as it is."""
    return any(mark in text for mark in ("<", "&", "](", "]:", "://", "javascript", "data:"))


def _is_base64(value) -> bool:
    if isinstance(value, list):
        value = "".join(value)
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value.replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def clean_bundle(data: dict) -> tuple[dict, list[str]]:
    """A MIME bundle with only safe types (HTML and Markdown sanitised); and what was removed."""
    kept, removed = {}, []
    for mime, value in data.items():
        if mime in SAFE_AS_TEXT and isinstance(value, (str, list)):
            kept[mime] = value
        elif mime == "text/html":
            kept[mime] = clean_html(value)
        elif mime == "text/markdown" and isinstance(value, (str, list)):
            kept.setdefault("text/html", markdown_as_clean_html(value))
        elif mime in IMAGES and _is_base64(value):
            kept[mime] = value
        else:
            removed.append(mime)
    if removed and "text/plain" not in kept:
        kept["text/plain"] = REMOVED_NOTE.format(kinds=", ".join(sorted(removed)))
    return kept, removed


MAX_TEXT_CELL_CHARS = 100_000  # a Markdown or raw cell; the release's longest is a few KB
HIDING_METADATA = {"transient", "jupyter", "tags", "hide_input", "collapsed", "scrolled"}


def clean_output_metadata(metadata) -> tuple[dict, bool]:
    """Only the image sizes and alt text nbconvert uses, with their types checked: its templates
    write `width={{ width }}` without quotes, so a string there adds attributes (onerror=...)."""
    kept, dropped = {}, False
    for key, value in (metadata.items() if isinstance(metadata, dict) else []):
        if key in IMAGES and isinstance(value, dict):
            size = {k: v for k, v in value.items()
                    if (k in ("width", "height") and type(v) is int and 0 < v < 100_000)
                    or (k == "unconfined" and type(v) is bool) or (k == "alt" and isinstance(v, str))}
            dropped |= size != value
            if size:
                kept[key] = size
        # anything else (matplotlib's "needs_background", ...) is dropped silently: nbconvert's
        # HTML uses none of it
    return kept, dropped


def clean_notebook(nb) -> list[str]:
    """Sanitise `nb` in place; return one line per kind of thing that was cleaned or removed."""
    found: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type in ("markdown", "raw"):
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            if len(source) > MAX_TEXT_CELL_CHARS:  # Markdown rendering costs ~200 bytes per byte
                source = source[:MAX_TEXT_CELL_CHARS]
                found.add(f"{cell.cell_type} cells over {MAX_TEXT_CELL_CHARS // 1000} KB truncated")
                cell.source = source
            if cell.cell_type == "raw":
                cleaned = clean_html(source)
            else:
                cleaned = markdown_as_clean_html(source) if _may_hold_markup(source) else source
            if cleaned != source:
                found.add(f"{cell.cell_type} cells rendered and sanitised")
                cell.source = cleaned
            for name, bundle in list(cell.get("attachments", {}).items()):
                cell.attachments[name], removed = clean_bundle(bundle)
                if removed:
                    found.add("attachment types removed: " + ", ".join(sorted(removed)))
        elif cell.cell_type == "code":
            # the kernel reports execution counts; a non-integer one (a forged reply) breaks
            # nbformat's validation, and so the grading of the whole notebook
            for holder in [cell, *cell.get("outputs", [])]:
                count = holder.get("execution_count")
                if "execution_count" in holder and not (count is None or type(count) is int):
                    holder["execution_count"] = None
                    found.add("non-numeric execution counts removed")
            for output in cell.get("outputs", []):
                if "data" in output:
                    output["data"], removed = clean_bundle(output["data"])
                    if removed:
                        found.add("output types removed: " + ", ".join(sorted(removed)))
                if "metadata" in output:
                    output["metadata"], dropped = clean_output_metadata(output["metadata"])
                    if dropped:
                        found.add("image output metadata removed (it could add HTML attributes)")
        # a cell's metadata steers how it is shown: `transient.remove_source`, `jupyter.source_hidden`
        # or a `remove-input` tag would hide the student's code from feedback and the formgrader.
        # Only nbgrader's own entry is kept (grading.repair has restored it from the gradebook).
        hiding = sorted(key for key in cell.get("metadata", {}) if key in HIDING_METADATA)
        if hiding:
            found.add("cell metadata that hides code or outputs removed: " + ", ".join(hiding))
        cell.metadata = {k: v for k, v in cell.get("metadata", {}).items() if k == "nbgrader"}
    for key in ("title", "widgets"):
        nb.metadata.pop(key, None)
    return sorted(found)


HIDDEN_PLACEHOLDER = "[hidden test]"


def _scrub(value, secrets: list[str]):
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, HIDDEN_PLACEHOLDER)
        return value
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    return value


def scrub_outputs(nb, secrets: list[str]) -> int:
    """Replace every verbatim copy of a hidden test's expression in the code cells' outputs (a
    student's function can see the expression it is called from and print it from a later cell).
    Returns how many outputs changed. A deliberately re-encoded copy is not found: the residual
    risk in docs/safe_grading.md."""
    secrets = [s for s in secrets if s]
    changed = 0
    if not secrets:
        return 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for index, output in enumerate(cell.get("outputs", [])):
            cleaned = _scrub(dict(output), secrets)
            if cleaned != dict(output):
                cell.outputs[index] = nbformat.from_dict(cleaned)
                changed += 1
    return changed
