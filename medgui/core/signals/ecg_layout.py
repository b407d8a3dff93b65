"""ECG paper: speed and gain, the printed layouts, the grid, true scale on screen and calipers.

Everything is in paper millimetres: x grows with time (``speed`` mm/s), y grows downwards (a row's
baseline sits at its ``y_mm``; a positive voltage is drawn ``gain`` mm/mV above it). A view only
maps millimetres to pixels (``px_per_mm``), so true scale on screen is one number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from medgui.core.signals.signal import Signal

SPEEDS_MM_S = (12.5, 25.0, 50.0)
GAINS_MM_MV = (5.0, 10.0, 20.0)
LAYOUTS = ("3x4+II", "3x4", "6x2", "12x1", "1")
STANDARD_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
PAGE_WIDTH_MM = 250.0  # 10 s at 25 mm/s, the width of a standard 12-lead printout
MINOR_MM, MAJOR_MM = 1.0, 5.0
CALIBRATION_MM = 10.0  # room left of each row for the 1 mV standardisation pulse
RHYTHM_LEAD = "II"

# The columns of the printed layouts: leads top to bottom, columns in consecutive time.
_COLUMNS = {
    "3x4": (("I", "II", "III"), ("aVR", "aVL", "aVF"), ("V1", "V2", "V3"), ("V4", "V5", "V6")),
    "6x2": (("I", "II", "III", "aVR", "aVL", "aVF"), ("V1", "V2", "V3", "V4", "V5", "V6")),
}


def px_per_mm(dpi: float) -> float:
    """Screen pixels per paper millimetre for a screen of `dpi` dots per inch (25.4 mm)."""
    if not np.isfinite(dpi) or dpi <= 0:
        raise ValueError(f"screen DPI must be positive, got {dpi}")
    return dpi / 25.4


@dataclass(frozen=True)
class Cell:
    """One lead's trace on the page: `channel` from `t0_s` to `t1_s` (record time), drawn from
    `x_mm` onwards with its baseline at `y_mm`."""

    lead: str
    channel: int
    row: int
    column: int
    t0_s: float
    t1_s: float
    x_mm: float
    y_mm: float


@dataclass
class EcgPaper:
    """What the user chose: speed, gain, layout, where the page starts, the filters on.

    The view's whole state: widgets read it and call its setters, nothing else is kept in Qt.
    """

    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    layout: str = "3x4+II"
    start_s: float = 0.0
    filters: set[str] = field(default_factory=set)
    top_mm: float = 0.0  # the page's part on show, for layouts taller than the screen

    def __post_init__(self) -> None:
        self.set_speed(self.speed_mm_s)
        self.set_gain(self.gain_mm_mv)
        self.set_layout(self.layout)

    def set_speed(self, speed: float) -> None:
        if speed not in SPEEDS_MM_S:
            raise ValueError(f"paper speed must be one of {SPEEDS_MM_S} mm/s, got {speed}")
        self.speed_mm_s = float(speed)

    def set_gain(self, gain: float) -> None:
        if gain not in GAINS_MM_MV:
            raise ValueError(f"gain must be one of {GAINS_MM_MV} mm/mV, got {gain}")
        self.gain_mm_mv = float(gain)

    def set_layout(self, layout: str) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        if layout != self.layout:
            self.top_mm = 0.0  # a new layout is read from its first row
        self.layout = layout

    def cycle(self, what: str, step: int = 1) -> None:
        """Step speed, gain or layout to the next (or, with step -1, previous) choice."""
        choices = {"speed": SPEEDS_MM_S, "gain": GAINS_MM_MV, "layout": LAYOUTS}[what]
        current = {"speed": self.speed_mm_s, "gain": self.gain_mm_mv, "layout": self.layout}[what]
        value = choices[(choices.index(current) + step) % len(choices)]
        {"speed": self.set_speed, "gain": self.set_gain, "layout": self.set_layout}[what](value)

    @property
    def page_s(self) -> float:
        """Seconds of record across the page (10 s at 25 mm/s)."""
        return PAGE_WIDTH_MM / self.speed_mm_s

    @property
    def row_pitch_mm(self) -> float:
        """Distance between baselines: room for ±1.5 mV, never under 30 mm as on paper."""
        return max(30.0, 3.0 * self.gain_mm_mv)

    def scroll_to(self, start_s: float, duration_s: float) -> None:
        """Move the page to `start_s`, kept inside a record of `duration_s`."""
        self.start_s = float(np.clip(start_s, 0.0, max(0.0, duration_s - self.page_s)))

    def scroll_down(self, mm: float, max_top_mm: float) -> None:
        """Move the page up by `mm` (down the rows), from its top to `max_top_mm` at most."""
        self.top_mm = float(np.clip(self.top_mm + mm, 0.0, max(0.0, max_top_mm)))

    def cells(self, signal: Signal) -> list[Cell]:
        """Every trace on the page for `signal`'s channels under the current layout."""
        leads = _lead_indices(signal)
        page_s, pitch = self.page_s, self.row_pitch_mm
        cells: list[Cell] = []
        columns = _COLUMNS.get(self.layout.removesuffix("+II"))
        if columns and all(lead in leads for column in columns for lead in column):
            width_s = page_s / len(columns)
            for c, column in enumerate(columns):
                t0 = self.start_s + c * width_s
                for r, lead in enumerate(column):
                    x = c * width_s * self.speed_mm_s
                    cells.append(
                        Cell(lead, leads[lead], r, c, t0, t0 + width_s, x, (r + 0.5) * pitch)
                    )
            rows = max(len(column) for column in columns)
            if self.layout.endswith("+II"):
                cells.append(self._full_row(*_rhythm_lead(leads, signal), rows))
            return cells
        if self.layout == "1":
            return [self._full_row(*_rhythm_lead(leads, signal), 0)]
        # 12x1, or any layout of a record that is not a standard 12-lead: one row per channel.
        names = [_canonical(n) for n in signal.channel_names]
        known = len(STANDARD_LEADS)
        rank = sorted(
            range(len(names)),
            key=lambda i: (
                STANDARD_LEADS.index(names[i]) if names[i] in STANDARD_LEADS else known,
                i,
            ),
        )
        return [self._full_row(names[i], i, r) for r, i in enumerate(rank)]

    def _full_row(self, lead: str, channel: int, row: int) -> Cell:
        y = (row + 0.5) * self.row_pitch_mm
        return Cell(lead, channel, row, 0, self.start_s, self.start_s + self.page_s, 0.0, y)

    def page_height_mm(self, cells: list[Cell]) -> float:
        return (max(c.row for c in cells) + 1) * self.row_pitch_mm if cells else 0.0

    def to_mm(self, cell: Cell, t_s: np.ndarray, mv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Paper coordinates of samples at record times `t_s` with values `mv` in `cell`."""
        x = cell.x_mm + (np.asarray(t_s) - cell.t0_s) * self.speed_mm_s
        return x, cell.y_mm - np.asarray(mv) * self.gain_mm_mv

    def time_at(self, cells: list[Cell], x_mm: float, y_mm: float) -> tuple[Cell, float] | None:
        """The cell under paper point (`x_mm`, `y_mm`) and the record time there, or None
        when the point is on no trace (the margin, between rows' halves of another cell)."""
        for cell in cells:
            width = (cell.t1_s - cell.t0_s) * self.speed_mm_s
            in_row = abs(y_mm - cell.y_mm) <= self.row_pitch_mm / 2
            if in_row and cell.x_mm <= x_mm <= cell.x_mm + width:
                return cell, cell.t0_s + (x_mm - cell.x_mm) / self.speed_mm_s
        return None

    def measure(self, start_mm: tuple[float, float], end_mm: tuple[float, float]) -> CaliperReading:
        """What a caliper from `start_mm` to `end_mm` (x, y on the paper) reads."""
        dx, dy = end_mm[0] - start_mm[0], end_mm[1] - start_mm[1]
        return CaliperReading(
            interval_ms=abs(dx) / self.speed_mm_s * 1000.0,
            amplitude_mv=-dy / self.gain_mm_mv,  # y grows downwards on the page
        )


@dataclass(frozen=True)
class CaliperReading:
    interval_ms: float
    amplitude_mv: float

    @property
    def heart_rate_bpm(self) -> float | None:
        """The rate if the interval is one RR interval; None for a zero interval."""
        return heart_rate_bpm(self.interval_ms) if self.interval_ms > 0 else None

    def text(self) -> str:
        rate = self.heart_rate_bpm
        bpm = f"  {rate:.0f} bpm" if rate is not None else ""
        return f"{self.interval_ms:.0f} ms  {self.amplitude_mv:+.2f} mV{bpm}"


def heart_rate_bpm(rr_ms: float) -> float:
    """Beats per minute for an RR interval of `rr_ms` milliseconds."""
    if rr_ms <= 0:
        raise ValueError(f"an RR interval must be positive, got {rr_ms} ms")
    return 60000.0 / rr_ms


def grid_lines(x0: float, x1: float, y0: float, y1: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions (mm) of the grid lines crossing the rectangle: ``(minor, major)``, each an
    ``(n, 2, 2)`` array of segments ``[[xa, ya], [xb, yb]]``. Minor lines every 1 mm, major every
    5 mm; a major position is not repeated among the minor ones."""
    minor, major = [], []
    for axis, (lo, hi), (other_lo, other_hi) in ((0, (x0, x1), (y0, y1)), (1, (y0, y1), (x0, x1))):
        for k in range(int(np.ceil(lo / MINOR_MM)), int(np.floor(hi / MINOR_MM)) + 1):
            at = k * MINOR_MM
            segment = (
                [[at, other_lo], [at, other_hi]] if axis == 0 else [[other_lo, at], [other_hi, at]]
            )
            (major if k % round(MAJOR_MM / MINOR_MM) == 0 else minor).append(segment)
    return np.asarray(minor, float).reshape(-1, 2, 2), np.asarray(major, float).reshape(-1, 2, 2)


def _canonical(name: str) -> str:
    """The standard spelling of a lead name ("Lead II" -> "II", "avr" -> "aVR")."""
    key = name.strip()
    key = key[5:].strip() if key.lower().startswith("lead ") else key
    for lead in STANDARD_LEADS:
        if lead.lower() == key.lower():
            return lead
    return name


def _rhythm_lead(leads: dict[str, int], signal: Signal) -> tuple[str, int]:
    """Lead II for the rhythm strip, or the record's first channel when it has none."""
    if RHYTHM_LEAD in leads:
        return RHYTHM_LEAD, leads[RHYTHM_LEAD]
    return signal.channel_names[0], 0


def _lead_indices(signal: Signal) -> dict[str, int]:
    indices: dict[str, int] = {}
    for index, name in enumerate(signal.channel_names):
        indices.setdefault(_canonical(name), index)
        indices.setdefault(name, index)
    return indices
