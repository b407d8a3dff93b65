"""Beat scores as the ECG field keeps them (ANSI/AAMI EC57): a detection matches a reference
beat within 150 ms (wfdb's `compare_annotations`, one to one), giving QRS sensitivity (Se) and
positive predictivity (+P); the symbols of matched beats give each class its F1."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from wfdb.processing import compare_annotations

MATCH_WINDOW_S = 0.15


@dataclass
class BeatCounts:
    """Counts summed over records: detection (tp, fp, fn) and, per class, (tp, fp, fn)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    classes: dict[str, list[int]] = field(default_factory=dict)

    def add(self, ref: np.ndarray, ref_symbols: list[str], test: np.ndarray,
            test_symbols: list[str], fs_hz: float) -> None:  # fmt: skip
        """Match `test` beats to `ref` beats of one record (samples at `fs_hz`) and count."""
        matched = np.full(len(ref), -1)
        if len(ref) and len(test):
            window = int(MATCH_WINDOW_S * fs_hz)
            comparison = compare_annotations(np.asarray(ref), np.asarray(test), window)
            matched = comparison.matching_sample_nums
        self.tp += int((matched >= 0).sum())
        self.fn += int((matched < 0).sum())
        self.fp += len(test) - int((matched >= 0).sum())
        for i, symbol in enumerate(ref_symbols):  # matched or missed reference beats
            found = test_symbols[matched[i]] if matched[i] >= 0 else None
            if found == symbol:
                self._count(symbol, 0)
            else:
                self._count(symbol, 2)
                if found is not None:
                    self._count(found, 1)
        for j in sorted(set(range(len(test))) - set(matched[matched >= 0].tolist())):
            self._count(test_symbols[j], 1)  # detections that match no beat

    def _count(self, symbol: str, slot: int) -> None:
        self.classes.setdefault(symbol, [0, 0, 0])[slot] += 1

    def metrics(self) -> dict[str, float]:
        """ "qrs_sensitivity", "qrs_ppv", "f1_<symbol>" per class, "class_f1" (their mean)
        and "beat_f1": the F1 of beats found in place with the right symbol."""
        se = self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan
        ppv = self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan
        per_class = {f"f1_{s}": _f1(*c) for s, c in sorted(self.classes.items())}
        right = list(self.classes.values())
        totals = [sum(c[k] for c in right) for k in range(3)] if right else [0, 0, self.fn]
        scores = [v for v in per_class.values() if math.isfinite(v)]
        return {
            "qrs_sensitivity": se,
            "qrs_ppv": ppv,
            **per_class,
            "class_f1": float(np.mean(scores)) if scores else math.nan,
            "beat_f1": _f1(*totals),
        }


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan
