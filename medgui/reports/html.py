"""The report as one self-contained HTML file: inline CSS, images as data: URIs, every piece
of text HTML-escaped. It references nothing outside itself, so it opens anywhere offline.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape

from medgui.reports.report_model import Figure, HeaderField, Report, Table

_CSS = """
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #111; max-width: 820px;
       margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 22px; }
h3 { font-size: 14px; margin: 12px 0 4px; }
.notice { color: #a00000; font-weight: bold; }
table { border-collapse: collapse; margin: 4px 0 10px; font-size: 12px; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #e4e8ee; }
table.fields td, table.fields th { border: none; padding: 1px 8px 1px 0; }
table.fields th { background: none; }
figure { margin: 8px 0 14px; } figure img { max-width: 100%; height: auto; }
figcaption, .small { font-size: 12px; color: #444; }
.text { white-space: pre-wrap; }
h1, p, li, figcaption, .text { overflow-wrap: anywhere; }
"""


def _fields(fields: tuple[HeaderField, ...] | list[HeaderField]) -> str:
    rows = "".join(f"<tr><th>{escape(f.name)}</th><td>{escape(f.value)}</td></tr>" for f in fields)
    return f'<table class="fields">{rows}</table>'


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    return f"<h3>{escape(table.title)}</h3><table><tr>{head}</tr>{body}</table>"


ImageSource = Callable[[Figure], str]


def data_uri(figure: Figure) -> str:
    """The figure's PNG as a data: URI (what keeps the HTML file self-contained)."""
    return "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")


def _figure(figure: Figure, source: ImageSource, max_width_px: int | None) -> str:
    scale = min(1.0, max_width_px / figure.width_px) if max_width_px else 1.0
    width, height = round(figure.width_px * scale), round(figure.height_px * scale)
    return (
        f'<figure><img src="{escape(source(figure))}" width="{width}" height="{height}" '
        f'alt="{escape(figure.caption)}">'
        f"<figcaption>{escape(figure.caption)}</figcaption></figure>"
    )


def _text(title: str, text: str) -> str:
    body = escape(text.strip()) if text.strip() else "<i>(none written)</i>"
    return f'<h2>{title}</h2><div class="text">{body}</div>'


def render_html(
    report: Report, image_source: ImageSource = data_uri, max_image_width_px: int | None = None
) -> str:
    """The HTML document of `report` (one string, UTF-8 when written). `image_source(figure)`
    gives each image's src: a data: URI by default; a preview may name its own resources and
    shrink the images to `max_image_width_px` (Qt's rich text knows no CSS max-width)."""
    parts = [
        f"<h1>{escape(report.title)}</h1>",
        f'<p class="notice">{escape(report.notice)}</p>',
    ]
    if report.pseudonymised:
        parts.append('<p class="small">Patient identity replaced by a pseudonym.</p>')
    parts.append(_fields(report.header))
    parts.append(_text("Findings", report.findings))
    parts.append(_text("Impression", report.impression))
    if report.key_images:
        parts.append("<h2>Key images</h2>")
        parts += [_figure(f, image_source, max_image_width_px) for f in report.key_images]
    if report.measurements is not None or report.labels is not None:
        parts.append("<h2>Measurements and labels</h2>")
        parts += [_table(t) for t in (report.measurements, report.labels) if t is not None]
    if report.models:
        parts.append("<h2>Model results</h2>")
        for section in report.models:
            parts.append(f"<h3>{escape(section.title)}</h3>{_fields(section.facts)}")
            parts += [_table(t) for t in (section.metrics, section.probabilities) if t is not None]
            if section.figure is not None:
                parts.append(_figure(section.figure, image_source, max_image_width_px))
    if report.notes:
        notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        parts.append(f'<h2>Notes</h2><ul class="small">{notes}</ul>')
    parts.append(
        f'<p class="small">Made {escape(report.created)} with {escape(report.software)}.</p>'
        f'<p class="notice">{escape(report.notice)}</p>'
    )
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(report.title)}</title><style>{_CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )
