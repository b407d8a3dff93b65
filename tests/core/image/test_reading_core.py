"""Issue 13, reading: the Qt-free rules behind the viewer's overlay."""

from __future__ import annotations

import pytest
from dicom_testing import real_file

from medgui.core.annotations.measurements import length_units
from medgui.core.image.reformat import Plane, orientation_labels, projection_labels
from medgui.core.image.windowing import CT_PRESETS, WindowLevel, preset_name
from medgui.core.io.load import load_volume


def test_a_ct_window_equal_to_a_preset_is_named_after_it():
    assert preset_name(CT_PRESETS["abdomen"], "CT") == "Abdomen"
    assert preset_name(WindowLevel(-600, 1500), "ct") == "Lung"
    assert preset_name(WindowLevel(41, 400), "CT") is None
    assert preset_name(CT_PRESETS["abdomen"], "MR") is None  # HU windows mean nothing on MR


CR_WITH_DETECTOR_SPACING = "dicomdirtests/77654033/CR1/6154"  # L\F, ImagerPixelSpacing 0.1


def test_a_radiograph_measures_in_mm_at_the_detector_from_imager_pixel_spacing():
    volume = load_volume(real_file(CR_WITH_DETECTOR_SPACING))
    assert volume.modality == "CR" and volume.spacing_mm[:2] == (0.1, 0.1)
    assert volume.metadata["spacing_source"] == "detector"
    assert length_units(volume.metadata) == ("mm at detector", "mm² at detector")
    assert any("mm at the detector" in w for w in volume.warnings)


def test_without_any_spacing_measurements_are_in_pixels():
    volume = load_volume(real_file("RG1_UNCR.dcm"))  # PixelSpacing and ImagerPixelSpacing 0\0
    assert volume.metadata["spacing_source"] == "pixels"
    assert length_units(volume.metadata) == ("px", "px²")
    ct = load_volume(real_file("CT_small.dcm"))
    assert length_units(ct.metadata) == ("mm", "mm²")


@pytest.mark.parametrize("name", [CR_WITH_DETECTOR_SPACING, "RG1_UNCR.dcm"])
def test_a_radiograph_takes_its_letters_from_patient_orientation(name):
    volume = load_volume(real_file(name))  # PatientOrientation L\F, no ImageOrientationPatient
    assert volume.metadata["oriented"] is False
    labels = orientation_labels(volume, Plane.AXIAL)
    assert labels == {"left": "R", "right": "L", "top": "H", "bottom": "F"}
    assert orientation_labels(volume, Plane.AXIAL, flip_h=True)["left"] == "L"
    assert orientation_labels(volume, Plane.AXIAL, rotate=90)["top"] == "R"
    assert orientation_labels(volume, Plane.CORONAL) == {}


def test_an_image_without_geometry_has_no_letters():
    volume = load_volume(real_file("US1_UNCR.dcm"))  # no plane, no PatientOrientation
    assert volume.metadata["oriented"] is False
    assert all(orientation_labels(volume, plane) == {} for plane in Plane)
    assert orientation_labels(load_volume(real_file("CT_small.dcm")), Plane.AXIAL)["left"] == "R"


def test_patient_orientation_letters():
    assert projection_labels(["A", "FR"]) == {
        "left": "P",
        "right": "A",
        "top": "HL",
        "bottom": "FR",
    }
    assert projection_labels(["L"]) == {}
    assert projection_labels(["CR", "D"]) == {}  # quadruped terms: no guessed letters
