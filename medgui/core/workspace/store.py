"""The workspace: everything the user made on each series, saved atomically and autosaved.

Layout
------
A folder (default ``<user data dir>/workspace``; the user may choose another)::

    <workspace>/
      workspace.json          {"format": "medgui-workspace", "version": 1}
      series/<series>/        one folder per series:
        series.json           what the series is; the commit record of the save
        labels.nii.gz         the label map (absent when there is none)
        labels.json           its label table and exact grid
        measurements.json     rulers, angles, ROIs
        annotations.json      boxes and classification tags
        .autosave/a/, b/      the same files, written by autosave (two slots, used in turn)

``<series>`` is the SeriesInstanceUID when it is a plain DICOM UID (digits and dots), else ``h-``
and 24 hex digits of the SHA-256 of the series key (the source file's path for NIfTI/NRRD or
UID-less DICOM); ``series.json`` keeps the key itself.

Formats
-------
Every JSON file is UTF-8 and starts ``{"format": "medgui-<kind>", "version": 1, ...}``.

* ``series.json``: ``key``, ``uid``, ``description``, ``source_paths``, ``kind`` ("explicit" or
  "autosave"), ``saved_at_ns`` (Unix time, ns), ``saved_at`` (ISO 8601 UTC) and ``files``:
  ``{name: {"size", "sha256"}}``. Written last, it commits the save: a listed file that is
  missing or whose digest differs is reported as incomplete or changed.
* ``labels.nii.gz``: NIfTI on the image's grid (ITK turns LPS into NIfTI's RAS), uint8 or
  uint16; one layer is a plain 3-D image, several layers (overlapping structures) one vector
  image with a component per layer.
* ``labels.json``: ``labels``: ``[{"value", "name", "color": [r, g, b], "visible", "opacity",
  "locked", "layer", "category", "type"}]`` and the exact ``grid`` (NIfTI keeps single
  precision): ``shape_zyx``, LPS ``spacing_mm`` and ``origin`` in (i, j, k) order, ``direction``
  (the rows of the 3×3 matrix whose columns are the i, j, k axes).
* ``measurements.json``: ``measurements``: a list of `Measurement.to_dict` objects.
* ``annotations.json``: ``annotations``: the annotation model's object (boxes with label and
  voxel bounds; tags per series and per image).

Saving
------
Each file is written atomically (temporary file, fsync, rename, fsync of the folder). Autosave
un-commits the slot without the newest autosave (deletes its series.json), writes, commits. An
explicit save autosaves, un-commits the series folder, hard-links (or copies) the files up,
commits and deletes ``.autosave/``. A kill at any moment leaves the last explicit save or the
newest autosave complete; an autosave newer than the explicit save is offered for restore. A
save that fails (a full disk) raises OSError naming the file, and removes the slot it was
writing, so that its files do not fill the disk for the next save.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medgui.core.image.volume import Volume
from medgui.core.io.index import data_dir
from medgui.core.labels.io import (
    describe_grid,
    load_label_map,
    save_label_map,
    table_from_document,
    table_to_document,
)
from medgui.core.labels.labelmap import LabelMap
from medgui.core.util.atomic import (
    atomic_write_json,
    atomic_writer,
    fsync_directory,
    remove_stale_temporaries,
)
from medgui.core.util.jsonfile import read_json
from medgui.core.workspace.autosave_policy import AutosavePolicy
from medgui.core.workspace.layout import AUTOSAVE_DIR, series_root, workspace_file

FORMAT_VERSION = 1
LABELS, TABLE = "labels.nii.gz", "labels.json"
MEASUREMENTS, ANNOTATIONS, SERIES = "measurements.json", "annotations.json", "series.json"
_DICOM_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_GRID_KEYS = ("shape_zyx", "spacing_mm", "origin", "direction")
_SLOTS = ("a", "b")
# AutosavePolicy lives in its own module (pure timing logic) and is imported from here too.
__all__ = ["AutosavePolicy", "Recoverable", "SeriesWork", "Workspace", "folder_name"]


@dataclass
class SeriesWork:
    """Everything the user made on one series (what the workspace saves and loads)."""

    key: str  # medgui.core.annotations.store.series_key: the SeriesInstanceUID, else a path
    uid: str = ""
    description: str = ""
    source_paths: list[str] = field(default_factory=list)
    labelmap: LabelMap | None = None
    measurements: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, Any] = field(default_factory=dict)
    saved_at_ns: int = 0  # when this state was saved (set by the workspace)


@dataclass(frozen=True)
class Recoverable:
    """A series whose autosave is newer than its last explicit save (or that has none)."""

    key: str  # the folder name when the record itself cannot be read
    description: str
    autosaved_at_ns: int
    saved_at_ns: int | None
    problem: str = ""


def folder_name(key: str) -> str:
    """The series folder for `key`: a plain DICOM UID as is, anything else hashed (paths may
    hold characters, or lengths, that a file system refuses)."""
    if len(key) <= 64 and _DICOM_UID.fullmatch(key):
        return key
    return "h-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _read_json(path: Path, fmt: str, field: str | None = None) -> Any:
    """The medgui-`fmt` object in `path` (its `field` when given); ValueError naming the file
    otherwise."""
    data = read_json(path, fmt)
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported medgui-{fmt} version {data.get('version')!r}")
    if field is not None and field not in data:
        raise ValueError(f"{path}: no {field!r} in it")
    return data if field is None else data[field]


def _document(fmt: str, **content: Any) -> dict[str, Any]:
    return {"format": fmt, "version": FORMAT_VERSION, **content}


def _read_record(path: Path) -> dict[str, Any]:
    record = _read_json(path, "series")
    if not isinstance(record.get("key"), str) or not isinstance(record.get("saved_at_ns"), int):
        raise ValueError(f"{path}: malformed series record (no key or saved_at_ns)")
    return record


def _digest(path: Path) -> dict[str, Any]:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return {"size": path.stat().st_size, "sha256": hasher.hexdigest()}


def _snap_to_grid(labelmap: LabelMap, grid: dict[str, Any], path: Path) -> None:
    """Replace the single-precision geometry read from NIfTI by the exact recorded one."""
    try:
        shape, spacing, origin, direction = (grid[k] for k in _GRID_KEYS)
        exact = Volume(np.broadcast_to(np.uint8(0), tuple(shape)), spacing, origin, direction)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: malformed grid in {TABLE}: {error}") from error
    if not labelmap.matches(exact):  # NIfTI's float32 geometry is ~1e-5 mm off, not more
        raise ValueError(f"{path}: its grid ({describe_grid(labelmap)}) is not the recorded one")
    labelmap.spacing_mm, labelmap.origin, labelmap.direction = (
        exact.spacing_mm,
        exact.origin,
        exact.direction,
    )


def _remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    fsync_directory(path.parent)


class Workspace:
    """The per-series store of labels, measurements and annotations in a folder (see the
    module docstring for the layout)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir() / "workspace"
        # One save at a time: an autosave worker and an explicit save must not interleave.
        self._lock = threading.Lock()
        if workspace_file(self.root).exists():
            _read_json(workspace_file(self.root), "workspace")  # foreign or newer

    def series_dir(self, key: str) -> Path:
        """The folder of series `key` (it may not exist yet)."""
        return series_root(self.root) / folder_name(key)

    def _autosaves(self, folder: Path) -> list[tuple[int, Path]]:
        """(save time, slot folder) of each committed autosave of a series folder, newest first."""
        slots = [folder / AUTOSAVE_DIR / slot for slot in _SLOTS]
        found = [
            (_read_record(s / SERIES)["saved_at_ns"], s) for s in slots if (s / SERIES).is_file()
        ]
        return sorted(found, reverse=True)

    def _write_files(self, folder: Path, work: SeriesWork) -> dict[str, Any]:
        """Write every file but series.json into `folder`; returns their digests."""
        remove_stale_temporaries(folder)
        names = [MEASUREMENTS, ANNOTATIONS]
        measurements = _document("medgui-measurements", measurements=work.measurements)
        atomic_write_json(folder / MEASUREMENTS, measurements)
        annotations = _document("medgui-annotations", annotations=work.annotations)
        atomic_write_json(folder / ANNOTATIONS, annotations)
        if work.labelmap is not None:
            save_label_map(work.labelmap, folder / LABELS, write_table=False)
            grid = {k: np.asarray(getattr(work.labelmap, k)).tolist() for k in _GRID_KEYS}
            atomic_write_json(
                folder / TABLE, table_to_document(work.labelmap.table) | {"grid": grid}
            )
            names += [LABELS, TABLE]
        for name in {LABELS, TABLE} - set(names):
            _remove_file(folder / name)
        return {name: _digest(folder / name) for name in names}

    def _commit(self, folder: Path, work: SeriesWork, kind: str, files, saved_at_ns: int) -> None:
        stamp = _dt.datetime.fromtimestamp(saved_at_ns / 1e9, _dt.UTC).isoformat()
        paths = [str(p) for p in work.source_paths]
        record = _document("medgui-series", key=work.key, uid=work.uid, source_paths=paths)
        record |= dict(description=work.description, kind=kind, files=files)
        atomic_write_json(folder / SERIES, record | dict(saved_at_ns=saved_at_ns, saved_at=stamp))

    def save_series(self, work: SeriesWork, *, autosave: bool = False) -> int:
        """Save `work` (an autosave, or an explicit save, which also promotes it); returns the
        save time (ns), also set on `work.saved_at_ns`. `work` must not change while it is
        written: a worker thread should be handed a copy of the label map."""
        with self._lock:
            if not workspace_file(self.root).exists():
                self.root.mkdir(parents=True, exist_ok=True)
                atomic_write_json(workspace_file(self.root), _document("medgui-workspace"))
            folder = self.series_dir(work.key)
            autosaves = self._autosaves(folder)
            # Save times only ever grow, even if the clock steps back.
            last = [t for t, _ in autosaves[:1]]
            if (folder / SERIES).is_file():
                last.append(_read_record(folder / SERIES)["saved_at_ns"])
            saved_at_ns = max([time.time_ns(), *(t + 1 for t in last)])
            newest = autosaves[0][1] if autosaves else None
            slots = (folder / AUTOSAVE_DIR / s for s in _SLOTS)
            slot = next(candidate for candidate in slots if candidate != newest)
            slot.mkdir(parents=True, exist_ok=True)
            _remove_file(slot / SERIES)  # un-commit before touching the files
            try:
                files = self._write_files(slot, work)
                self._commit(slot, work, "autosave", files, saved_at_ns)
            except OSError:
                # The slot holds no commit, only what this save got to write: on a full disk
                # those files would make every later save fail too.
                shutil.rmtree(slot, ignore_errors=True)
                raise
            if not autosave:
                self._promote(folder, slot, work, files, saved_at_ns)
            work.saved_at_ns = saved_at_ns
            return saved_at_ns

    def _promote(self, folder: Path, slot: Path, work: SeriesWork, files, saved_at_ns) -> None:
        remove_stale_temporaries(folder)
        _remove_file(folder / SERIES)
        for name in files:
            with atomic_writer(folder / name) as temporary:
                try:
                    os.link(slot / name, temporary)  # no second write of the data
                except OSError:
                    shutil.copyfile(slot / name, temporary)
        for name in {LABELS, TABLE} - set(files):
            _remove_file(folder / name)
        self._commit(folder, work, "explicit", files, saved_at_ns)
        self.discard_autosave(work.key)

    def _load(self, folder: Path) -> SeriesWork | None:
        if not (folder / SERIES).is_file():
            return None
        record = _read_record(folder / SERIES)
        files = record.get("files", {})
        for name, expected in files.items():
            if not (folder / name).is_file():
                raise ValueError(f"{folder / name}: missing (the save in {folder} is incomplete)")
            if _digest(folder / name) != expected:
                raise ValueError(f"{folder / name}: changed or corrupt since it was saved")
        uid, description = str(record.get("uid", "")), str(record.get("description", ""))
        work = SeriesWork(record["key"], uid, description, saved_at_ns=record["saved_at_ns"])
        work.source_paths = [str(p) for p in record.get("source_paths", [])]
        work.measurements = _read_json(folder / MEASUREMENTS, "measurements", "measurements")
        work.annotations = _read_json(folder / ANNOTATIONS, "annotations", "annotations")
        if LABELS in files:
            document = _read_json(folder / TABLE, "labels")
            table = table_from_document(document, folder / TABLE)
            work.labelmap = load_label_map(folder / LABELS, table=table)
            _snap_to_grid(work.labelmap, document.get("grid", {}), folder / LABELS)
        return work

    def load_series(self, key: str) -> SeriesWork | None:
        """The last explicit save of series `key`, or None if it has none. ValueError names
        the file when one is unreadable, missing from the save or changed since."""
        return self._load(self.series_dir(key))

    def series_keys(self) -> list[str]:
        """The keys of every series with an explicit save."""
        records = sorted(series_root(self.root).glob(f"*/{SERIES}"))
        return [_read_record(path)["key"] for path in records]

    def recoverable(self) -> list[Recoverable]:
        """Series whose newest autosave is newer than their last explicit save: the offer to
        restore after a crash. An unreadable record is listed with the reason in `problem`."""
        found = []
        for folder in sorted(p.parent for p in series_root(self.root).glob(f"*/{AUTOSAVE_DIR}")):
            try:
                autosaves = self._autosaves(folder)
                explicit = _read_record(folder / SERIES) if (folder / SERIES).is_file() else None
            except ValueError as error:
                found.append(Recoverable(folder.name, "", 0, None, str(error)))
                continue
            saved = explicit["saved_at_ns"] if explicit else None
            if autosaves and (saved is None or autosaves[0][0] > saved):
                record = _read_record(autosaves[0][1] / SERIES)
                description = str(record.get("description", ""))
                found.append(Recoverable(record["key"], description, autosaves[0][0], saved))
        return found

    def restore(self, key: str) -> SeriesWork:
        """The newest autosaved state of series `key` (kept until the next explicit save or
        `discard_autosave`). ValueError when there is none or it cannot be read."""
        autosaves = self._autosaves(self.series_dir(key))
        if not autosaves:
            raise ValueError(f"{self.series_dir(key) / AUTOSAVE_DIR}: no autosave to restore")
        return self._load(autosaves[0][1])

    def discard_autosave(self, key: str) -> None:
        """Delete the autosaves of series `key` (un-committing them first)."""
        staging = self.series_dir(key) / AUTOSAVE_DIR
        if staging.exists():
            for slot in _SLOTS:
                if (staging / slot).is_dir():
                    _remove_file(staging / slot / SERIES)
            shutil.rmtree(staging)
            fsync_directory(staging.parent)
