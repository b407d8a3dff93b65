"""Segmentation: the "segment" task (MONAI U-Net, 2-D slices or 3-D patches), its data and its
inference. The catalogue (`ml.models.catalogue`) names it; importing this package registers
nothing."""

from medgui.ml.segmentation.infer import InferenceCancelled, segment_volume
from medgui.ml.segmentation.task import SegmentationTask

__all__ = ["InferenceCancelled", "SegmentationTask", "segment_volume"]
