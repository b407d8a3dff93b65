"""The science core: DICOM/NIfTI I/O, volumes and geometry. No Qt, no torch."""

from medgui.core.image.volume import Volume
from medgui.core.io.load import LoadCancelled, LoadProgress, iter_load, load_volume
from medgui.core.io.scan import Scan, ScanError, Series, scan
from medgui.core.labels.grow_from_seeds import grow_from_seeds

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
