"""Geometry and rescale of enhanced multi-frame objects, from their functional groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pydicom

from medgui.core.dicom.values import first_float, floats

if TYPE_CHECKING:
    from medgui.core.dicom.instance import InstanceHeader


def _group_item(groups: pydicom.Dataset | None, sequence: str) -> pydicom.Dataset | None:
    if groups is None or sequence not in groups or not groups[sequence].value:
        return None
    return groups[sequence].value[0]


def read_functional_groups(ds: pydicom.Dataset, h: InstanceHeader) -> None:
    """Geometry and rescale of an enhanced multi-frame object, from its functional groups.

    Per-frame values win over shared ones, as PS3.3 C.7.6.16 specifies; orientation, spacing and
    rescale are taken from the first frame (they are constant within one stack in practice).
    """
    shared_seq = ds.get("SharedFunctionalGroupsSequence")
    shared = shared_seq[0] if shared_seq else None
    frames = ds.PerFrameFunctionalGroupsSequence
    first = frames[0] if len(frames) else None

    def lookup(sequence: str, keyword: str):
        for groups in (first, shared):
            item = _group_item(groups, sequence)
            if item is not None and keyword in item:
                return item.get(keyword)
        return None

    h.image_orientation = floats(lookup("PlaneOrientationSequence", "ImageOrientationPatient"), 6)
    h.pixel_spacing = floats(lookup("PixelMeasuresSequence", "PixelSpacing"), 2) or h.pixel_spacing
    thickness = first_float(lookup("PixelMeasuresSequence", "SliceThickness"))
    h.slice_thickness = thickness if thickness is not None else h.slice_thickness
    slope = first_float(lookup("PixelValueTransformationSequence", "RescaleSlope"))
    if slope not in (None, 0.0):
        h.rescale_slope = slope
    intercept = first_float(lookup("PixelValueTransformationSequence", "RescaleIntercept"))
    if intercept is not None:
        h.rescale_intercept = intercept
    center = first_float(lookup("FrameVOILUTSequence", "WindowCenter"))
    width = first_float(lookup("FrameVOILUTSequence", "WindowWidth"))
    if center is not None and width is not None:
        h.window_center, h.window_width = center, width
    positions = []
    for frame in frames:
        item = _group_item(frame, "PlanePositionSequence")
        position = floats(item.get("ImagePositionPatient"), 3) if item is not None else None
        if position is None:
            positions = []
            break
        positions.append(position)
    h.frame_positions = positions or None
    if positions:
        h.image_position = positions[0]
