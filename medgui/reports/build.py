"""`build_report`: the `Report` of one series, from the volume and the work the workspace
keeps for it (labels, measurements, key images, the report draft), the models' cards and the
model results the GUI holds in memory.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from collections.abc import Callable, Iterable
from typing import Any

import medgui
from medgui.core.annotations.measurements import (
    Angle,
    Measurement,
    Ruler,
    measurement_from_dict,
    roi_statistics,
)
from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.image.reformat import extract_slice
from medgui.core.image.volume import Volume
from medgui.core.labels.stats import label_statistics
from medgui.core.workspace.store import SeriesWork
from medgui.reports.key_image_render import render_key_image
from medgui.reports.model_section import ModelRun, card_section
from medgui.reports.report_model import HeaderField, Report, Table, shorten

Progress = Callable[[int, int], None]

_HEADER = (
    ("Patient name", "PatientName"),
    ("Patient ID", "PatientID"),
    ("Birth date", "PatientBirthDate"),
    ("Sex", "PatientSex"),
    ("Study date", "StudyDate"),
    ("Study", "StudyDescription"),
    ("Accession number", "AccessionNumber"),
    ("Modality", "Modality"),
    ("Series", "SeriesDescription"),
    ("Series UID", "SeriesInstanceUID"),
)
# DICOM keeps these attributes under 1024 characters (most under 64): longer is a broken file.
HEADER_LIMIT = 256
# What a pseudonymised report leaves out, besides the patient's name and ID it replaces.
_WITHHELD = {"PatientBirthDate", "AccessionNumber", "SeriesInstanceUID"}


def pseudonym(metadata: dict[str, Any], salt: str = "") -> str:
    """A stable pseudonym for the patient of `metadata`: "ANON-" and 10 hex digits of the
    SHA-256 of the patient's ID, name and birth date (and `salt`, which makes it unguessable
    from those). The same patient always gets the same pseudonym with the same salt."""
    identity = "\x1f".join(
        str(metadata.get(key) or "") for key in ("PatientID", "PatientName", "PatientBirthDate")
    )
    digest = hashlib.sha256(f"medgui-pseudonym\x1f{salt}\x1f{identity}".encode()).hexdigest()
    return f"ANON-{digest[:10].upper()}"


def _dicom_date(value: str) -> str:
    """YYYYMMDD as YYYY-MM-DD; anything else unchanged."""
    text = value.strip()
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


def _header(metadata: dict[str, Any], pseudonymise: bool, salt: str) -> list[HeaderField]:
    fields = []
    alias = pseudonym(metadata, salt) if pseudonymise else ""
    for name, key in _HEADER:
        value = str(metadata.get(key) or "").strip()
        if pseudonymise and key in ("PatientName", "PatientID"):
            value = alias
        elif pseudonymise and key in _WITHHELD:
            continue
        if key.endswith("Date"):
            value = _dicom_date(value)
        value = shorten(value.replace("^", " ").strip(), HEADER_LIMIT)
        fields.append(HeaderField(name, value or "\u2013"))
    return fields


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "\u2013"
    return f"{value:.{digits}f}"


def _measurement_row(number: int, m: Measurement, volume: Volume) -> tuple[str, ...]:
    where = f"{m.plane.value} {m.slice_index + 1}"
    name = m.label or m.KIND
    if isinstance(m, Ruler):
        return (str(number), name, "ruler", where, f"{_fmt(m.length_mm)} mm", "")
    if isinstance(m, Angle):
        return (str(number), name, "angle", where, f"{_fmt(m.degrees)}\u00b0", "")
    stats = roi_statistics(m, extract_slice(volume, m.plane, m.slice_index))
    value = f"{_fmt(stats.area_mm2)} mm\u00b2"
    detail = (
        f"mean {_fmt(stats.mean)}, SD {_fmt(stats.sd)}, "
        f"min {_fmt(stats.min)}, max {_fmt(stats.max)} ({stats.n_pixels} px)"
    )
    return (str(number), name, m.KIND, where, value, detail)


def _measurements(items: Iterable[dict], volume: Volume, notes: list[str]) -> list[Measurement]:
    out = []
    for data in items:
        try:
            m = measurement_from_dict(data)
            extract_slice(volume, m.plane, m.slice_index)  # on this volume's grid
        except (ValueError, IndexError, TypeError) as error:
            notes.append(f"A measurement was left out: {error}")
            continue
        out.append(m)
    return out


def _measurement_table(measurements: list[Measurement], volume: Volume) -> Table | None:
    if not measurements:
        return None
    columns = ("#", "name", "kind", "slice", "value", "intensity (ROI)")
    rows = tuple(_measurement_row(n, m, volume) for n, m in enumerate(measurements, start=1))
    return Table("Measurements", columns, rows)


def _label_table(work: SeriesWork, volume: Volume, notes: list[str]) -> Table | None:
    labelmap = work.labelmap
    if labelmap is None:
        return None
    if not labelmap.matches(volume):
        notes.append("The saved label map is not on this image's grid; its volumes are left out.")
        return None
    image = None if volume.is_color else volume
    unit = "HU" if volume.modality.upper() == "CT" else "units"
    rows = tuple(
        (
            s.name,
            str(s.voxel_count),
            _fmt(s.volume_ml, 2),
            _fmt(s.mean),
            _fmt(s.sd),
            _fmt(s.min, 0),
            _fmt(s.max, 0),
        )
        for s in label_statistics(labelmap, image)
        if s.voxel_count
    )
    if not rows:
        return None
    columns = ("label", "voxels", "volume (ml)", f"mean ({unit})", "SD", "min", "max")
    return Table("Labels: volumes and intensities", columns, rows)


def build_report(
    volume: Volume,
    work: SeriesWork | None = None,
    *,
    cards: Iterable[Any] = (),
    runs: Iterable[ModelRun] = (),
    findings: str | None = None,
    impression: str | None = None,
    pseudonymise: bool = False,
    salt: str = "",
    now: _dt.datetime | None = None,
    progress: Progress | None = None,
) -> Report:
    """The report of `volume` and its saved `work`.

    `cards` are model cards (`ModelCard`) to report on (e.g. `active_cards`); `runs` are
    results of those models on this series (matched to their card by model name). Findings
    and impression default to the draft saved in the work. `pseudonymise` replaces the
    patient's name and ID by `pseudonym(metadata, salt)` and leaves out birth date, accession
    number and UIDs. `progress(done, total)` is called per key image (the slow part)."""
    work = work or SeriesWork(key="")
    annotations = SeriesAnnotations.from_json(work.annotations) if work.annotations else None
    annotations = annotations or SeriesAnnotations()
    notes: list[str] = []
    measurements = _measurements(work.measurements, volume, notes)
    numbered = list(enumerate(measurements, start=1))
    figures = []
    keys = annotations.key_images
    for done, key in enumerate(keys, start=1):
        try:
            figures.append(render_key_image(volume, key, work.labelmap, numbered))
        except ValueError as error:
            notes.append(f"A key image was left out: {error}")
        if progress is not None:
            progress(done, len(keys))
    by_name = {run.model_name: run for run in runs}
    sections = [card_section(card, by_name.get(card.name), volume) for card in cards]
    description = str(volume.metadata.get("SeriesDescription") or work.description or "")
    description = shorten(description, HEADER_LIMIT)
    when = now or _dt.datetime.now().astimezone()
    draft = annotations.report_draft
    return Report(
        title=f"Imaging report{': ' + description if description else ''}",
        header=_header(volume.metadata, pseudonymise, salt),
        pseudonymised=pseudonymise,
        key_images=figures,
        measurements=_measurement_table(measurements, volume),
        labels=_label_table(work, volume, notes),
        models=sections,
        findings=draft.findings if findings is None else findings,
        impression=draft.impression if impression is None else impression,
        created=when.strftime("%Y-%m-%d %H:%M %Z").strip(),
        software=f"medgui {medgui.__version__}",
        notes=notes,
    )
