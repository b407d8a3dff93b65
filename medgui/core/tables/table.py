"""The case table of a workspace: one row per patient, study, series or label.

Columns, in order: the identifiers (`ID_COLUMNS`), the patient (age at the study, sex,
weight), the label features (`cases.LABEL_FEATURES`; per series, study or patient they are
named ``<label>_<feature>``, per label plainly), the measurements, and the class tag as the
target (`TARGET`). A study or patient row gathers its series: a label found in two of them
keeps the first series' values (series in the workspace's order) and says so in `problems`,
as does a study or patient whose series carry different class tags (its target is left empty).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medgui.core.tables.cases import SeriesCase, measure_series
from medgui.core.tables.columns import ID_COLUMNS, PATIENT_COLUMNS, PER, TARGET
from medgui.core.tables.csvfile import join_csv, write_csv
from medgui.core.workspace.store import Workspace


class TableCancelled(Exception):
    """Building the table was cancelled (the progress callback returned False)."""


@dataclass
class CaseTable:
    """Rows (dicts keyed by column) under `columns`; `problems` lists what was left out."""

    columns: list[str]
    rows: list[dict[str, Any]]
    per: str
    problems: list[str] = field(default_factory=list)

    @property
    def feature_columns(self) -> list[str]:
        """Every column but the identifiers and the target."""
        return [c for c in self.columns if c not in ID_COLUMNS and c != TARGET]

    def write_csv(self, path: str | Path) -> Path:
        return write_csv(path, self.columns, self.rows)


def _group_key(case: SeriesCase, per: str) -> str:
    if per == "patient":
        return case.ids["patient_id"] or f"series:{case.key}"  # no header: its own patient
    if per == "study":
        return case.ids["study_uid"] or f"series:{case.key}"
    return case.key


def _merged_row(cases: list[SeriesCase], per: str, problems: list[str]) -> dict[str, Any]:
    """One row for `cases` (one series, or the series of one study or patient)."""
    first = cases[0]
    row: dict[str, Any] = dict(first.ids) | dict(first.patient)
    row["id"] = _group_key(first, per)
    origin: dict[str, str] = {}
    for case in cases:
        for name, features in case.labels.items():
            if name in origin:
                problems.append(
                    f"{per} {row['id']}: label {name!r} is in series {origin[name]} and "
                    f"{case.key}; the first is used"
                )
                continue
            origin[name] = case.key
            row |= {f"{name}_{feature}": value for feature, value in features.items()}
        for name, value in case.measurements.items():
            row.setdefault(name, value)
    targets = {case.target for case in cases if case.target}
    if len(targets) > 1:
        problems.append(f"{per} {row['id']}: its series are tagged {sorted(targets)}; no target")
    row[TARGET] = targets.pop() if len(targets) == 1 else ""
    return row


def _label_rows(case: SeriesCase) -> list[dict[str, Any]]:
    base = dict(case.ids) | dict(case.patient)
    return [
        base | {"id": f"{case.key}:{name}", "label": name} | features | case.measurements
        | {TARGET: case.target}
        for name, features in case.labels.items()
    ]  # fmt: skip


def _columns(rows: list[dict[str, Any]], per: str) -> list[str]:
    ids = [c for c in ID_COLUMNS if per == "label" or c != "label"]
    seen: dict[str, None] = {}
    for row in rows:
        seen |= dict.fromkeys(c for c in row if c not in ids and c != TARGET)
    patient = [c for c in PATIENT_COLUMNS if c in seen]
    features = [c for c in seen if c not in patient and not c.startswith(_MEASURED)]
    measured = [c for c in seen if c.startswith(_MEASURED)]
    return ids + patient + features + measured + [TARGET]


_MEASURED = ("ruler_", "angle_", "ellipse_", "rectangle_")


def build_case_table(
    workspace: Workspace,
    per: str = "series",
    *,
    join: str | Path | None = None,
    on: str = "patient_id",
    progress: Callable[[int, int], bool | None] | None = None,
) -> CaseTable:
    """The case table of every saved series of `workspace`, one row per `per` (see `PER`),
    with the columns of the CSV `join` added by `on` (patient_id or accession).

    A series that cannot be read is left out and named in `problems`; one whose images are not
    found keeps its shape features and measurements. `progress(done, total)` is called after
    each series; returning False cancels (`TableCancelled`). ValueError when `per` is unknown
    or no series is saved."""
    if per not in PER:
        raise ValueError(f"one row per {' | '.join(PER)}, not {per!r}")
    keys = workspace.series_keys()
    if not keys:
        raise ValueError(f"{workspace.root}: no saved series to make a case table of")
    problems: list[str] = []
    cases: list[SeriesCase] = []
    for done, key in enumerate(keys, start=1):
        try:
            work = workspace.load_series(key)
            if work is not None:
                case = measure_series(work)
                cases.append(case)
                problems += case.problems
        except (ValueError, OSError) as error:
            problems.append(f"series {key}: left out: {error}")
        if progress is not None and progress(done, len(keys)) is False:
            raise TableCancelled(f"building the case table of {workspace.root} was cancelled")
    if per == "label":
        rows = [row for case in cases for row in _label_rows(case)]
    else:
        groups: dict[str, list[SeriesCase]] = {}
        for case in cases:
            groups.setdefault(_group_key(case, per), []).append(case)
        rows = [_merged_row(group, per, problems) for group in groups.values()]
    columns = _columns(rows, per)
    if join is not None:
        columns, joined = join_csv(columns, rows, join, on)
        columns = [*[c for c in columns if c != TARGET], TARGET]
        problems += joined
    return CaseTable(columns, rows, per, problems)
