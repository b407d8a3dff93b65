"""One rule picks a label file's format by its suffix, for the GUI, the CLI and the workers."""

import pytest

from medgui.core.labels.io import label_format


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("liver.nii.gz", "nifti"),
        ("LIVER.NII.GZ", "nifti"),
        ("liver.nii", "nifti"),
        ("liver.nrrd", "nrrd"),
        ("liver.mha", "mha"),
        ("liver.dcm", "seg"),
        ("SEG.DCM", "seg"),
        ("seg", "seg"),  # DICOM files often have no suffix
        ("a.b/seg", "seg"),
    ],
)
def test_label_format_by_suffix(name, fmt, tmp_path):
    assert label_format(tmp_path / name) == fmt
    assert label_format(str(tmp_path / name)) == fmt


@pytest.mark.parametrize(
    "name", ["liver.png", "liver.gz", "liver.nhdr", "liver.mhd", "liver.json", "1.2.840.5"]
)
def test_other_suffixes_are_refused_naming_the_file(name, tmp_path):
    reason = r"a label file must end in .*\.dcm \(DICOM SEG\)"
    with pytest.raises(ValueError, match=rf"{name}: {reason}"):
        label_format(tmp_path / name)
