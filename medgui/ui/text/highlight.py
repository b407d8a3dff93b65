"""Report text as rich text with each finding mention coloured by its status.

The colours are dark fills with white bold text (contrast 5:1 or better), readable on the
dark theme's base and distinct for the three statuses; a legend names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

# status -> (fill, text): red for present, green for absent, amber for uncertain.
STATUS_COLOURS = {
    "positive": ("#8e2a2a", "#ffffff"),
    "negative": ("#1f6a3c", "#ffffff"),
    "uncertain": ("#7d6200", "#ffffff"),
}


def _span(text: str, status: str, title: str = "") -> str:
    fill, ink = STATUS_COLOURS[status]
    tip = f' title="{escape(title)}"' if title else ""
    return (
        f'<span style="background-color:{fill}; color:{ink}; font-weight:600;"{tip}>'
        f"{escape(text)}</span>"
    )


def _plain(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def highlighted_html(text: str, mentions: Iterable) -> str:
    """`text` as HTML with each mention (`start`, `end`, `status`, `finding`) highlighted;
    overlapping mentions keep the first."""
    parts, at = [], 0
    for mention in sorted(mentions, key=lambda m: m.start):
        if mention.start < at:
            continue
        parts.append(_plain(text[at : mention.start]))
        title = f"{mention.finding}: {mention.status}"
        parts.append(_span(text[mention.start : mention.end], mention.status, title))
        at = mention.end
    parts.append(_plain(text[at:]))
    return "".join(parts)


def legend_html() -> str:
    """The three statuses in their colours."""
    return "&nbsp;&nbsp;".join(_span(f" {status} ", status) for status in STATUS_COLOURS)
