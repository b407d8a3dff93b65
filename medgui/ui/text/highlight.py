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


# A word's weight for a label: towards it warm, against it (a "no") blue; the fill fades into
# the dark page with the weight, and stays dark enough for white text at full weight.
WEIGHT_COLOURS = {"towards": (181, 71, 42), "against": (43, 98, 168)}
WEIGHT_FLOOR = 0.15  # weaker words are left plain: the highlight shows what mattered
_PAGE = (22, 23, 25)  # theme.BASE, the text view's page in the dark theme


def weight_fill(weight: float) -> str:
    """The fill of a word of `weight` (-1..1), as #rrggbb."""
    colour = WEIGHT_COLOURS["towards" if weight > 0 else "against"]
    share = min(1.0, abs(weight))
    mixed = (round(p + (c - p) * share) for c, p in zip(colour, _PAGE, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def weighted_html(text: str, spans: Iterable[tuple[int, int, float]], label: str) -> str:
    """`text` as HTML with each word of |weight| ≥ `WEIGHT_FLOOR` filled by `weight_fill`."""
    parts, at = [], 0
    for start, end, weight in sorted(spans):
        if start < at or abs(weight) < WEIGHT_FLOOR:
            continue
        parts.append(_plain(text[at:start]))
        side = "towards" if weight > 0 else "against"
        tip = escape(f"{side} {label}: {weight:+.2f}")
        parts.append(
            f'<span style="background-color:{weight_fill(weight)}; color:#ffffff;" '
            f'title="{tip}">{escape(text[start:end])}</span>'
        )
        at = end
    parts.append(_plain(text[at:]))
    return "".join(parts)


def weight_legend_html(label: str) -> str:
    """What the two word colours mean for `label`."""
    return "&nbsp;&nbsp;".join(
        f'<span style="background-color:{weight_fill(sign)}; color:#ffffff;">'
        f"&nbsp;{escape(words)}&nbsp;</span>"
        for sign, words in ((1.0, f"towards {label}"), (-1.0, f"against {label}"))
    )
