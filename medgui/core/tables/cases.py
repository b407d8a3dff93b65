"""One saved series measured: its identifiers, patient columns, per-label features, its
measurements and its class tag (what `table.build_case_table` arranges into rows)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from medgui.core.annotations.measurements import (
    Angle,
    EllipseROI,
    RectangleROI,
    Ruler,
    measurement_from_dict,
)
from medgui.core.annotations.model import SeriesAnnotations
from medgui.core.image.volume import Volume
from medgui.core.io.load import load_volume
from medgui.core.io.scan import Series
from medgui.core.tables.intensity import FIRST_ORDER, TEXTURE, intensity_features
from medgui.core.tables.patient import patient_columns
from medgui.core.tables.shape import SHAPE_FEATURES, shape_features
from medgui.core.workspace.sources import find_series
from medgui.core.workspace.store import SeriesWork

#: Every feature a label gets, in column order.
LABEL_FEATURES = SHAPE_FEATURES + FIRST_ORDER + TEXTURE


def column_name(text: str) -> str:
    """`text` as a column-name part: lower case, runs of anything but letters and digits
    become one underscore ("Liver lesion 2" → "liver_lesion_2")."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_") or "unnamed"


@dataclass
class SeriesCase:
    """What one saved series contributes to a case table."""

    key: str
    ids: dict[str, str]  # patient_id, accession, study_uid, series_uid, series_key
    patient: dict[str, Any]  # age_years, sex, weight_kg
    labels: dict[str, dict[str, float]]  # label column name → feature → value
    measurements: dict[str, float]
    target: str  # the series' class tag ("" when untagged)
    problems: list[str] = field(default_factory=list)


def _measurement_columns(saved: list[dict[str, Any]], problems: list[str], key: str):
    """{column: value} of the saved measurements: ruler lengths (mm), angles (degrees) and ROI
    areas (mm²), named after their label (else their kind and a number)."""
    found: dict[str, float] = {}
    for number, data in enumerate(saved, start=1):
        try:
            item = measurement_from_dict(data)
        except ValueError as error:
            problems.append(f"series {key}: measurement {number} left out: {error}")
            continue
        row_mm, col_mm = item.spacing_mm
        if isinstance(item, Ruler):
            unit, value = "mm", item.length_mm
        elif isinstance(item, Angle):
            unit, value = "deg", item.degrees
        elif isinstance(item, EllipseROI):
            unit, value = "mm2", math.pi * item.radii[0] * item.radii[1] * row_mm * col_mm
        elif isinstance(item, RectangleROI):
            height = abs(item.corner1[0] - item.corner0[0]) * row_mm
            unit, value = "mm2", height * abs(item.corner1[1] - item.corner0[1]) * col_mm
        else:  # a kind added later: not a number this table knows how to read
            continue
        name = f"{item.KIND}_{column_name(item.label) if item.label else number}_{unit}"
        while name in found:
            name = f"{name}_{number}"
        found[name] = float(value)
    return found


def _load_image(work: SeriesWork, problems: list[str]) -> tuple[Volume | None, Series | None]:
    """The series' image and scanned series (None each when it cannot be found or read: the
    shape features need only the label map)."""
    series = None
    try:
        target = find_series(work)
        series = target if isinstance(target, Series) else None
        volume = load_volume(target)
    except (ValueError, OSError) as error:
        problems.append(f"series {work.key}: no intensity features ({error})")
        return None, series
    if volume.is_color:  # intensity features are defined on one channel of calibrated values
        problems.append(f"series {work.key}: a colour image: no intensity features")
        return None, series
    return volume, series


def measure_series(work: SeriesWork) -> SeriesCase:
    """The case-table record of the saved series `work`: the image is found and loaded from
    the recorded source paths (for intensities and the DICOM patient columns)."""
    problems: list[str] = []
    volume, series = _load_image(work, problems) if work.labelmap is not None else (None, None)
    if volume is None and work.labelmap is None:
        try:
            target = find_series(work)  # headers only: no label map, so no pixels needed
            series = target if isinstance(target, Series) else None
        except (ValueError, OSError) as error:
            problems.append(f"series {work.key}: no patient columns ({error})")
    header = series.instances[0] if series is not None and series.instances else None
    ids = {
        "patient_id": header.patient_id if header else "",
        "accession": header.accession_number if header else "",
        "study_uid": header.study_instance_uid if header else "",
        "series_uid": work.uid,
        "series_key": work.key,
    }
    labels: dict[str, dict[str, float]] = {}
    if work.labelmap is not None:
        labelmap = work.labelmap
        if volume is not None and not labelmap.matches(volume):
            problems.append(f"series {work.key}: the label map is not on the image's grid")
            volume = None
        hounsfield = volume is not None and volume.modality == "CT"  # CT is stored in HU
        spacing = tuple(float(s) for s in labelmap.spacing_mm)
        for index, layer in enumerate(labelmap.layers):
            on_layer = labelmap.table.on_layer(index)
            shapes = shape_features(layer, [lb.value for lb in on_layer], spacing)
            for label in on_layer:
                if label.value not in shapes:
                    continue
                features = dict.fromkeys(LABEL_FEATURES, math.nan) | shapes[label.value]
                if volume is not None:
                    mask = layer == label.value
                    features |= intensity_features(volume.array, mask, hounsfield)
                name = column_name(label.name)
                if name in labels:
                    problems.append(f"series {work.key}: two labels are named {name!r}; one kept")
                    continue
                labels[name] = features
    annotations = SeriesAnnotations.from_json(work.annotations) if work.annotations else None
    tags = annotations.tags if annotations else None
    return SeriesCase(
        key=work.key,
        ids=ids,
        patient=patient_columns(header),
        labels=labels,
        measurements=_measurement_columns(work.measurements, problems, work.key),
        target=(tags.series_tag or "") if tags else "",
        problems=problems,
    )
