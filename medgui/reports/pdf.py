"""The report as PDF: reportlab's platypus lays it out in vector text with the key images
embedded as PNG, on A4 or US Letter. Every page carries the research-use line and the page
number in its footer.

The text is set in Bitstream Vera, which ships with reportlab and is embedded (subset): unlike
the PDF base fonts it has the signs reports use (≤, ≥, ±, µ, °, ²) and most Latin letters.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from medgui.reports.report_model import Figure, Report, Table, shorten


def _register_fonts() -> None:
    folder = Path(reportlab.__file__).parent / "fonts"
    faces = {"": "Vera", "-Bold": "VeraBd", "-Italic": "VeraIt", "-BoldItalic": "VeraBI"}
    for suffix, file in faces.items():
        pdfmetrics.registerFont(TTFont(f"Vera{suffix}", str(folder / f"{file}.ttf")))
    pdfmetrics.registerFontFamily(
        "Vera", normal="Vera", bold="Vera-Bold", italic="Vera-Italic", boldItalic="Vera-BoldItalic"
    )


_register_fonts()

PAGE_SIZES = {"A4": A4, "Letter": LETTER}
_MARGIN = 16 * mm
_STYLES = getSampleStyleSheet()
_BODY = ParagraphStyle(
    "body", parent=_STYLES["BodyText"], fontName="Vera", fontSize=9.5, leading=12.5
)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=8, leading=10)
_CAPTION = ParagraphStyle("caption", parent=_BODY, fontSize=8, textColor=colors.HexColor("#444"))


def _heading(level: int, size: float, before: float, after: float) -> ParagraphStyle:
    """Bold Vera heading `level` (1–3) of `size` pt; below level 1 it keeps with what follows."""
    return ParagraphStyle(
        f"h{level}",
        parent=_STYLES[f"Heading{level}"],
        fontName="Vera-Bold",
        fontSize=size,
        spaceBefore=before,
        spaceAfter=after,
        keepWithNext=int(level > 1),
    )


_H1 = _heading(1, 16, _STYLES["Heading1"].spaceBefore, 4)
_H2, _H3 = _heading(2, 12, 8, 3), _heading(3, 10, 4, 2)
_NOTICE = ParagraphStyle(
    "notice", parent=_BODY, fontName="Vera-Bold", textColor=colors.HexColor("#a00000")
)
# Tables set the font of every cell, even one that holds a paragraph: Vera, never Helvetica.
_FONT = ("FONT", (0, 0), (-1, -1), "Vera", 8)
_GRID = TableStyle(
    [
        _FONT,
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e8ee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)


def page_size(name: str) -> tuple[float, float]:
    """The (width, height) in points of page size `name` (A4 or Letter, any case)."""
    for known, size in PAGE_SIZES.items():
        if name.strip().lower() == known.lower():
            return size
    raise ValueError(f"unknown page size {name!r}; use {' or '.join(PAGE_SIZES)}")


def _text(text: str) -> str:
    """User text as paragraph markup: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br/>")


# A table row never breaks across pages, so a cell holds at most this many lines (of 10 pt)
# and a caption beside its image this many characters; longer text is cut, saying so.
_CELL_LINES = 40
_CAPTION_CHARS = 600


def _cell(text: str, width: float, bold: bool = False) -> Paragraph:
    """`text` in a table cell `width` pt wide, cut to `_CELL_LINES` lines (Vera 8 pt: at most
    about 7 pt a letter)."""
    text = _text(shorten(text, max(64, int(width / 7) * _CELL_LINES)))
    return Paragraph(f"<b>{text}</b>" if bold else text, _CELL)


def _column_widths(table: Table, width: float) -> list[float]:
    """Columns as wide as their longest text, shrunk together to fit `width`: paragraphs in
    cells need a width, and reportlab would otherwise share the page equally."""
    longest = [
        max(len(text) for text in column) for column in zip(table.columns, *table.rows, strict=True)
    ]
    natural = [min(60, max(4, n)) * 5.0 + 8 for n in longest]  # Vera 8 pt: ~5 pt a letter
    shrink = min(1.0, width / sum(natural))
    return [w * shrink for w in natural]


def _table(table: Table, width: float) -> list:
    widths = _column_widths(table, width)
    cells = [[_cell(c, w, bold=True) for c, w in zip(table.columns, widths, strict=True)]]
    cells += [[_cell(c, w) for c, w in zip(row, widths, strict=True)] for row in table.rows]
    flowable = PdfTable(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    flowable.setStyle(_GRID)
    return [Paragraph(_text(table.title), _H3), flowable]


def _figure_parts(figure: Figure, width: float) -> list:
    """The image at most `width` wide and 80 mm high (the PNG keeps its full resolution),
    with its caption below."""
    scale = min(width / figure.width_px, (80 * mm) / figure.height_px)
    image = Image(io.BytesIO(figure.png), figure.width_px * scale, figure.height_px * scale)
    image.hAlign = "LEFT"
    caption = Paragraph(_text(shorten(figure.caption, _CAPTION_CHARS)), _CAPTION)
    return [image, Spacer(1, 2), caption, Spacer(1, 6)]


def _figure(figure: Figure, width: float) -> KeepTogether:
    return KeepTogether(_figure_parts(figure, width))


def _figure_grid(figures: list[Figure], width: float) -> PdfTable:
    """Figures two to a row."""
    half = (width - 6 * mm) / 2
    cells = [_figure_parts(figure, half) for figure in figures]
    # An odd last row is padded with a spacer: a plain-string cell would be set in Helvetica.
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append(Spacer(1, 1))
    grid = PdfTable(rows, colWidths=[half + 3 * mm] * 2, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        )
    )
    return grid


def _fields(fields, width: float) -> PdfTable:
    widths = [38 * mm, width - 38 * mm]
    rows = [[_cell(f.name, widths[0], bold=True), _cell(f.value, widths[1])] for f in fields]
    flowable = PdfTable(rows, colWidths=widths, hAlign="LEFT")
    flowable.setStyle(
        TableStyle(
            [
                _FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return flowable


def _story(report: Report, width: float) -> list:
    story: list = [Paragraph(_text(report.title), _H1), Paragraph(_text(report.notice), _NOTICE)]
    story.append(Spacer(1, 4))
    if report.pseudonymised:
        story.append(Paragraph("Patient identity replaced by a pseudonym.", _CAPTION))
    story.append(_fields(report.header, width))
    for title, text in (("Findings", report.findings), ("Impression", report.impression)):
        story.append(Paragraph(title, _H2))
        story.append(Paragraph(_text(text.strip()) or "<i>(none written)</i>", _BODY))
    if report.key_images:
        story.append(Paragraph("Key images", _H2))
        story.append(_figure_grid(report.key_images, width))
    if report.measurements is not None or report.labels is not None:
        story.append(Paragraph("Measurements and labels", _H2))
        for table in (report.measurements, report.labels):
            if table is not None:
                story += _table(table, width)
    if report.models:
        story.append(Paragraph("Model results", _H2))
        for section in report.models:
            story.append(Paragraph(_text(section.title), _H3))
            story.append(_fields(section.facts, width))
            for table in (section.metrics, section.probabilities):
                if table is not None:
                    story += _table(table, width)
            if section.figure is not None:
                story += [Spacer(1, 4), _figure(section.figure, width / 2)]
    if report.notes:
        story.append(Paragraph("Notes", _H2))
        story += [Paragraph(_text(note), _CAPTION) for note in report.notes]
    story.append(Spacer(1, 6))
    story.append(Paragraph(_text(f"Made {report.created} with {report.software}."), _CAPTION))
    return story


def render_pdf(report: Report, size: str = "A4") -> bytes:
    """The PDF document of `report` on page size `size` ("A4" or "Letter")."""
    pagesize = page_size(size)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 6 * mm,
        title=report.title,
        author=report.software,
        creator=report.software,
        subject=report.notice,
        initialFontName="Vera",  # else every page names Helvetica, a font it never embeds
    )

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Vera", 7.5)
        canvas.setFillColor(colors.HexColor("#a00000"))
        canvas.drawString(_MARGIN, _MARGIN, report.notice)
        canvas.setFillColor(colors.black)
        canvas.drawRightString(pagesize[0] - _MARGIN, _MARGIN, f"page {doc.page}")
        canvas.restoreState()

    document.build(_story(report, document.width), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
