"""Every real DICOM file shipped with pydicom and pydicom-data: scanned, loaded, decoded right."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from dicom_testing import (
    PYDICOM_DATA,
    PYDICOM_FILES,
    REAL_ROOTS,
    assert_each_file_once,
    assert_plausible,
    modality_pixels,
    read_dataset,
    real_file,
)
from pydicom.pixels import apply_color_lut

from medgui.core import load_volume, scan
from medgui.core.dicom import pixels as px
from medgui.core.dicom.header import read_instance_header
from medgui.core.dicom.instance import DicomReadError

REAL_FILES = sorted(p for root in REAL_ROOTS for p in root.rglob("*") if p.is_file())


def _root(path: Path) -> Path:
    return next(root for root in REAL_ROOTS if root in path.parents)


def _id(path: Path) -> str:
    return f"{_root(path).parent.name}/{path.relative_to(_root(path))}"


def _headers():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in REAL_FILES:
            try:
                yield path, read_instance_header(path)
            except DicomReadError:
                continue


DIRECT_READABLE = [(p, h) for p, h in _headers() if h.kind == "image" and px.can_read_directly(h)]
IMAGE_SERIES = [s for root in REAL_ROOTS for s in scan(root, index=False).image_series]


def _check_loads_or_says_why(source) -> None:
    """Loads into a plausible volume, or raises ValueError (DicomReadError) with a reason."""
    try:
        volume = load_volume(source)
    except ValueError as exc:
        # The message names the file (or its folder) and says more than that.
        path, text = source if isinstance(source, Path) else Path(source.files[0]), str(exc)
        assert path.name in text or str(path.parent) in text, text
        assert len(text) > len(str(path)) + 10, text
        return
    assert_plausible(volume)


def test_the_corpus_is_there():
    assert len(REAL_FILES) > 200
    assert len(IMAGE_SERIES) > 40


@pytest.mark.parametrize("root", REAL_ROOTS, ids=lambda r: r.parent.name)
@pytest.mark.timeout(60)
def test_scan_places_every_file_exactly_once(root):
    found = scan(root)
    assert_each_file_once(found, [p for p in REAL_FILES if root in p.parents])
    # Series uids key the series browser's rows: no two alike.
    uids = [s.uid for s in found.series]
    assert len(uids) == len(set(uids))
    # A DICOMDIR is a non-image object of its own, besides leading to its files.
    if root == PYDICOM_FILES:
        dicomdir = [
            s for s in found.series if s.files == [str(root / "dicomdirtests" / "DICOMDIR")]
        ]
        assert [s.kind for s in dicomdir] == ["DICOMDIR"]


def test_scan_reasons_are_specific():
    reasons = {Path(e.path).name: e.reason for e in scan(PYDICOM_FILES, index=False).errors}
    assert reasons["README.txt"] == "not a DICOM file"
    # Pixel data with no Rows/Columns cannot make an image, whatever its class says.
    assert "Rows" in reasons["nested_priv_SQ.dcm"]
    # A meta header without a Transfer Syntax UID is read with the encoding pydicom found.
    assert "transfer syntax" not in reasons["meta_missing_tsyntax.dcm"]


@pytest.mark.parametrize("path", REAL_FILES, ids=_id)
@pytest.mark.timeout(60)
def test_each_file_alone_loads_or_says_why(path):
    _check_loads_or_says_why(path)


@pytest.mark.parametrize(
    "series", IMAGE_SERIES, ids=lambda s: f"{Path(s.files[0]).name}+{len(s.files) - 1}"
)
@pytest.mark.timeout(60)
def test_each_series_loads_or_says_why(series):
    _check_loads_or_says_why(series)


@pytest.mark.parametrize("path,header", DIRECT_READABLE, ids=[_id(p) for p, _ in DIRECT_READABLE])
@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom on padded files, as load silences
def test_fast_pixel_path_equals_pydicom(path, header):
    """The direct reader may exist only because it gives pydicom's result, bit for bit."""
    fmt = px.choose_format([header])
    shape = (header.number_of_frames, header.rows, header.columns)
    fast, reference = np.zeros(shape, fmt.dtype), np.full(shape, 7, fmt.dtype)
    frames = range(header.number_of_frames)
    try:
        px.read_frames_directly(header, [(f, fast[f]) for f in frames])
    except DicomReadError as exc:
        with pytest.raises(DicomReadError):
            px.decode_file(str(path))
        assert "truncated" in exc.reason
        return
    px.place_decoded(px.decode_file(str(path)), header, [(f, reference[f]) for f in frames])
    np.testing.assert_array_equal(fast, reference)


def test_fast_path_covers_the_interesting_cases():
    headers = [h for _, h in DIRECT_READABLE]
    assert len(headers) >= 40
    assert any(h.photometric == "MONOCHROME1" for h in headers)
    assert any(h.bits_allocated == 8 for h in headers)
    assert any(h.pixel_representation and h.bits_stored < 16 for h in headers)
    assert any(h.transfer_syntax_uid == "1.2.840.10008.1.2" for h in headers)
    assert any(h.number_of_frames > 1 for h in headers)
    assert any(h.rescale_slope != 1 or h.rescale_intercept != 0 for h in headers)


def test_ct_small_in_hounsfield_units():
    path = real_file("CT_small.dcm")
    volume = load_volume(path)
    ds = read_dataset(path)
    assert ds.RescaleIntercept != 0
    expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    np.testing.assert_array_equal(volume.array[0], expected)
    assert volume.modality == "CT"
    assert volume.spacing_mm[:2] == tuple(float(v) for v in ds.PixelSpacing[::-1])
    np.testing.assert_allclose(volume.origin, [float(v) for v in ds.ImagePositionPatient])
    np.testing.assert_allclose(
        volume.direction[:, 0], [float(v) for v in ds.ImageOrientationPatient[:3]]
    )


def test_mr_small():
    path = real_file("MR_small.dcm")
    volume = load_volume(path)
    np.testing.assert_array_equal(volume.array[0], read_dataset(path).pixel_array)
    assert volume.shape_zyx == (1, 64, 64) and volume.modality == "MR"


@pytest.mark.parametrize("name", ["RG1_UNCR.dcm", "dicomdirtests/77654033/CR1/6154"])
def test_monochrome1_is_inverted(name):
    path = real_file(name)
    ds = read_dataset(path)
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    volume = load_volume(path)
    top = (1 << ds.BitsStored) - 1
    slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
    expected = (top - ds.pixel_array) * slope + intercept
    np.testing.assert_allclose(volume.array[0], expected, rtol=1e-6)


def test_zero_pixel_spacing_is_named_and_replaced():
    volume = load_volume(real_file("RG1_UNCR.dcm"))  # PixelSpacing 0\0 in the file
    assert volume.spacing_mm[:2] == (1.0, 1.0)
    assert any("invalid PixelSpacing" in w for w in volume.warnings)


@pytest.mark.parametrize("name", ["OBXXXX1A.dcm", "OBXXXX1A_expb.dcm", "OBXXXX1A_rle.dcm"])
def test_palette_colour_becomes_rgb(name):
    reference = real_file("OBXXXX1A.dcm")
    ds = read_dataset(reference)
    assert ds.RedPaletteColorLookupTableDescriptor[2] == 16
    expected = apply_color_lut(ds.pixel_array, ds) >> 8  # 16-bit table, 8-bit volume
    volume = load_volume(real_file(name))
    assert volume.array.shape == (1, 600, 800, 3) and volume.array.dtype == np.uint8
    np.testing.assert_array_equal(volume.array[0], expected)
    assert volume.array.max() > 200  # not the wrapped-around low bytes of 16-bit entries


def test_palette_colour_two_frames():
    volume = load_volume(real_file("OBXXXX1A_2frame.dcm"))
    assert volume.array.shape == (2, 600, 800, 3)


@pytest.mark.parametrize(
    "name", ["SC_ybr_full_uncompressed.dcm", "SC_ybr_full_422_uncompressed.dcm"]
)
def test_ybr_becomes_rgb(name):
    volume = load_volume(real_file(name))
    rgb = load_volume(real_file("SC_rgb.dcm")).array
    assert volume.array.shape == rgb.shape == (1, 100, 100, 3)
    # YBR → RGB rounds: a few levels apart at most, where raw YBR would differ by ~100.
    assert np.abs(volume.array.astype(int) - rgb).max() <= 8


def test_multi_frame_frames_become_slices():
    path = real_file("emri_small.dcm")
    volume = load_volume(path)
    frames = read_dataset(path).pixel_array
    assert frames.shape == (10, 64, 64)
    np.testing.assert_array_equal(volume.array, frames)
    assert volume.metadata["frames_are_time"]  # no per-frame positions in this file


def test_enhanced_multi_frame_uses_per_frame_positions():
    path = real_file("eCT_Supplemental.dcm")
    volume = load_volume(path)
    ds = read_dataset(path)
    positions = [
        np.asarray(f.PlanePositionSequence[0].ImagePositionPatient, float)
        for f in ds.PerFrameFunctionalGroupsSequence
    ]
    assert volume.shape_zyx == (2, 512, 512)
    for k, (_, frame) in enumerate(volume.slice_sources):
        np.testing.assert_allclose(volume.voxel_to_world((0, 0, k)), positions[frame], atol=1e-4)
    np.testing.assert_array_equal(
        volume.array[0], modality_pixels(path)[volume.slice_sources[0][1]]
    )


# Lossless compressed (and other encodings) of the same pixels: identical volumes.
TWINS = [
    ("MR_small.dcm", "MR_small_RLE.dcm"),  # RLE
    ("MR_small.dcm", "MR_small_jp2klossless.dcm"),  # JPEG 2000 lossless
    ("MR_small.dcm", "MR_small_jpeg_ls_lossless.dcm"),  # JPEG-LS lossless
    ("MR_small.dcm", "MR_small_implicit.dcm"),
    ("MR_small.dcm", "MR_small_bigendian.dcm"),
    ("MR_small.dcm", "MR_small_expb.dcm"),
    ("MR_small.dcm", "MR_small_padded.dcm"),
    ("MR2_UNCR.dcm", "MR2_J2KR.dcm"),
    ("693_UNCR.dcm", "693_J2KR.dcm"),
    ("RG1_UNCR.dcm", "RG1_J2KR.dcm"),  # MONOCHROME1
    ("RG3_UNCR.dcm", "RG3_J2KR.dcm"),
    ("US1_UNCR.dcm", "US1_J2KR.dcm"),  # colour
    ("JPEG2000_UNC.dcm", "JPEG2000.dcm"),
    ("SC_rgb.dcm", "SC_rgb_rle.dcm"),
    ("SC_rgb.dcm", "SC_rgb_expb.dcm"),
    ("SC_rgb_16bit.dcm", "SC_rgb_rle_16bit.dcm"),
    ("SC_rgb_2frame.dcm", "SC_rgb_rle_2frame.dcm"),
    ("SC_rgb_32bit.dcm", "SC_rgb_rle_32bit.dcm"),
    ("SC_rgb_small_odd.dcm", "SC_rgb_small_odd_big_endian.dcm"),
    ("emri_small.dcm", "emri_small_RLE.dcm"),
    ("emri_small.dcm", "emri_small_jpeg_2k_lossless.dcm"),
    ("emri_small.dcm", "emri_small_jpeg_ls_lossless.dcm"),
    ("emri_small.dcm", "emri_small_big_endian.dcm"),
    ("OBXXXX1A_2frame.dcm", "OBXXXX1A_rle_2frame.dcm"),
    ("rtdose.dcm", "rtdose_rle.dcm"),
    ("rtdose.dcm", "rtdose_expb.dcm"),
    ("gdcm-US-ALOKA-16.dcm", "gdcm-US-ALOKA-16_big.dcm"),
]


@pytest.mark.parametrize("plain,encoded", TWINS, ids=[b for _, b in TWINS])
def test_lossless_twins_decode_identically(plain, encoded):
    a, b = load_volume(real_file(plain)), load_volume(real_file(encoded))
    assert a.array.shape == b.array.shape
    np.testing.assert_array_equal(a.array, b.array)
    assert not any(w.startswith("incomplete") for w in a.warnings + b.warnings)


def test_32_bit_rgb_keeps_its_top_bits():
    path = real_file("SC_rgb_32bit.dcm")
    volume = load_volume(path)
    expected = read_dataset(path).pixel_array >> 16
    np.testing.assert_array_equal(volume.array[0], expected)


@pytest.mark.parametrize(
    "name",
    [
        "image_dfl.dcm",  # deflated explicit VR little endian
        "SC_rgb_jpeg_gdcm.dcm",  # JPEG baseline (lossy: compared with pydicom's own decode)
        "JPGLosslessP14SV1_1s_1f_8b.dcm",  # JPEG lossless SV1
        "JPGExtended.dcm",  # JPEG extended 12-bit
        "JPEG-LL.dcm",  # JPEG lossless
        "JPEGLSNearLossless_16.dcm",
        "examples_palette.dcm",
    ],
)
def test_other_encodings_match_pydicom(name):
    path = real_file(name)
    volume = load_volume(path)
    ds = read_dataset(path)
    expected = ds.pixel_array
    if ds.PhotometricInterpretation == "PALETTE COLOR":
        expected = apply_color_lut(expected, ds)
        if ds.RedPaletteColorLookupTableDescriptor[2] == 16:
            expected >>= 8  # the 8-bit volume keeps the top bits of 16-bit entries
    elif volume.array.ndim == 3:
        expected = modality_pixels(path)
    np.testing.assert_array_equal(volume.array[0], expected)


@pytest.mark.parametrize(
    "name,words",
    [
        ("MR_truncated.dcm", "truncated pixel data"),
        ("emri_small_jpeg_2k_lossless_too_short.dcm", "cut short"),
        ("JPEG2000-embedded-sequence-delimiter.dcm", "cannot decode JPEG 2000"),
        ("JPEG-lossy.dcm", "cannot decode JPEG Extended"),
        ("OT-PAL-8-face.dcm", None),  # no meta header: decodes all the same
    ],
)
def test_damaged_real_files_name_the_reason(name, words):
    path = real_file(name)
    if words is None:
        assert load_volume(path).array.shape == (1, 480, 640, 3)
        return
    with pytest.raises(DicomReadError) as caught:
        load_volume(path)
    assert words in caught.value.reason
    assert caught.value.path == str(path)


def test_series_with_one_damaged_file_is_marked_incomplete():
    [series] = [s for s in IMAGE_SERIES if Path(s.files[0]).name == "emri_small.dcm"]
    volume = load_volume(series)
    assert volume.metadata["incomplete"] is True
    assert any("emri_small_jpeg_2k_lossless_too_short.dcm" in w for w in volume.warnings)


def test_roots_are_the_installed_packages():
    assert PYDICOM_FILES.is_dir() and PYDICOM_DATA.is_dir()
