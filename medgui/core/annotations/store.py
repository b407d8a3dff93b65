"""`MeasurementStore`: the rulers, angles and ROIs of every series, kept with the series.

A measurement belongs to one series (keyed by `series_key`: the SeriesInstanceUID, else the file
it came from) and, through its own fields, to one plane and slice. The store is plain data: the
viewer adds, edits and removes through it, subscribers hear every change as
``callback(action, series_key, measurement)`` with action "added", "updated" or "removed", and
the workspace saves it as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from medgui.core.annotations.measurements import Measurement, measurement_from_dict
from medgui.core.image.reformat import Plane
from medgui.core.image.volume import Volume
from medgui.core.util.events import Callbacks

_FORMAT_VERSION = 1


def series_key(volume: Volume) -> str:
    """The key a volume's measurements are stored under: its SeriesInstanceUID, else the file
    its first slice came from, else its description (a NIfTI read gives no better name)."""
    meta = volume.metadata
    uid = str(meta.get("SeriesInstanceUID") or "").strip()
    if uid:
        return uid
    if volume.slice_sources:
        return str(volume.slice_sources[0][0])
    for key in ("source_path", "SeriesDescription"):
        value = str(meta.get(key) or "").strip()
        if value:
            return value
    return "unnamed series"


class MeasurementStore:
    """Measurements per series, in the order they were made."""

    def __init__(self) -> None:
        self._series: dict[str, dict[str, Measurement]] = {}
        self._events = Callbacks()
        # Subscribers are called as callback(action, series_key, measurement).
        self.connect = self._events.connect
        self.disconnect = self._events.disconnect
        self._emit = self._events.emit

    def add(self, key: str, measurement: Measurement) -> None:
        """Add `measurement` to series `key`; ValueError if its uid is already there."""
        items = self._series.setdefault(key, {})
        if measurement.uid in items:
            raise ValueError(f"measurement {measurement.uid} is already in series {key}")
        items[measurement.uid] = measurement
        self._emit("added", key, measurement)

    def update(self, key: str, measurement: Measurement) -> None:
        """Replace the measurement with the same uid (an edit); KeyError if there is none.
        An unchanged value emits nothing, so a view echoing it back ends the loop."""
        items = self._series.get(key, {})
        if measurement.uid not in items:
            raise KeyError(f"no measurement {measurement.uid} in series {key}")
        if items[measurement.uid] == measurement:
            return
        items[measurement.uid] = measurement
        self._emit("updated", key, measurement)

    def remove(self, key: str, uid: str) -> Measurement:
        """Remove and return measurement `uid` of series `key`; KeyError if there is none."""
        items = self._series.get(key, {})
        if uid not in items:
            raise KeyError(f"no measurement {uid} in series {key}")
        measurement = items.pop(uid)
        if not items:
            del self._series[key]
        self._emit("removed", key, measurement)
        return measurement

    def get(self, key: str, uid: str) -> Measurement | None:
        """Measurement `uid` of series `key`, or None."""
        return self._series.get(key, {}).get(uid)

    def list(
        self, key: str, plane: Plane | None = None, slice_index: int | None = None
    ) -> list[Measurement]:
        """The measurements of series `key`, optionally only those on `plane` / `slice_index`."""
        return [
            m
            for m in self._series.get(key, {}).values()
            if (plane is None or m.plane is plane)
            and (slice_index is None or m.slice_index == slice_index)
        ]

    def series_keys(self) -> list[str]:
        """The series that have measurements."""
        return list(self._series)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict from which `from_dict` rebuilds an equal store."""
        return {
            "version": _FORMAT_VERSION,
            "series": {
                key: [m.to_dict() for m in items.values()] for key, items in self._series.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MeasurementStore:
        """Rebuild a store from `to_dict` output; ValueError on anything else."""
        if not isinstance(data, dict) or not isinstance(data.get("series"), dict):
            raise ValueError("not a measurement store: expected an object with 'series'")
        if data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"unsupported measurement store version {data.get('version')!r}")
        store = cls()
        for key, items in data["series"].items():
            if not isinstance(items, list):
                raise ValueError(f"series {key}: expected a list of measurements")
            for item in items:
                store.add(str(key), measurement_from_dict(item))
        return store

    def to_json(self) -> str:
        """The store as JSON text."""
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> MeasurementStore:
        """Rebuild a store from `to_json` text; ValueError if it is not one."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"measurement store is not valid JSON: {error}") from error
        return cls.from_dict(data)
