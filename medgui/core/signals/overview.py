"""A long record drawn in a few hundred pixel columns: the minimum and maximum of each column.

Plain subsampling drops a spike that falls between the kept samples; the min/max envelope keeps
every extreme, so an overview of a 24 h Holter still shows each artefact and each beat's peak.
"""

from __future__ import annotations

import numpy as np


def minmax_decimate(values: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` to draw `values` (1-D) in `columns` pixel columns: for each column the sample
    positions and values of its minimum and maximum, in time order (2 points a column). A record
    with no more samples than twice the columns comes back whole."""
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"expected one channel (1-D samples), got shape {values.shape}")
    if columns < 1:
        raise ValueError(f"need at least one column, got {columns}")
    n = values.shape[0]
    if n <= 2 * columns:
        return np.arange(n, dtype=np.float64), values.astype(np.float64)
    edges = np.linspace(0, n, columns + 1).astype(np.int64)
    starts = edges[:-1]
    lows = np.minimum.reduceat(values, starts)
    highs = np.maximum.reduceat(values, starts)
    # Both at the column's centre: a vertical stroke is all one pixel column can show anyway.
    centre = (edges[:-1] + edges[1:] - 1) / 2.0
    x = np.repeat(centre, 2)
    y = np.empty(2 * columns, dtype=np.float64)
    y[0::2], y[1::2] = lows, highs
    return x, y
