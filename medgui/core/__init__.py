"""The science core: DICOM/NIfTI I/O, volumes and geometry. No Qt, no torch."""

from medgui.core.grow_from_seeds import grow_from_seeds
from medgui.core.load import LoadCancelled, LoadProgress, iter_load, load_volume
from medgui.core.scan import Scan, ScanError, Series, scan
from medgui.core.volume import Volume

__all__ = [
    "LoadCancelled",
    "LoadProgress",
    "Scan",
    "ScanError",
    "Series",
    "Volume",
    "grow_from_seeds",
    "iter_load",
    "load_volume",
    "scan",
]
