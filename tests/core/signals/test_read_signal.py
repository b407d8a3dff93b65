"""read_signal picks the reader by content; bad files give errors naming the file and reason."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
import wfdb
from dicom_testing import real_file
from signal_testing import ECG_FILE, real_ecg_dataset, save, synthetic_ecg

from medgui.core.io.scan import scan
from medgui.core.signals.read import read_signal, signal_format
from medgui.core.signals.signal import Annotation
from medgui.core.signals.wfdb_io import write_wfdb_annotations


def _wfdb_record(folder, name="rec"):
    ecg = synthetic_ecg(seconds=4.0)
    wfdb.wrsamp(name, fs=ecg.fs_hz, units=["mV", "mV"], sig_name=["I", "V1"],
                p_signal=ecg.samples.T, fmt=["16", "16"], write_dir=str(folder))  # fmt: skip
    return folder / f"{name}.hea"


def test_a_dicom_ecg_reads_by_its_content_whatever_its_name(tmp_path):
    path = tmp_path / "ecg_without_suffix"
    shutil.copy(real_file(ECG_FILE), path)
    signal = read_signal(path)
    assert signal_format(path) == "dicom"
    assert signal.metadata["multiplex_group"] == "RHYTHM" and len(signal.channel_names) == 12
    assert signal.metadata["other_groups"] == ["MEDIAN BEAT"]


@pytest.mark.parametrize("given", ["rec.hea", "rec.dat", "rec.atr", "rec"])
def test_a_wfdb_record_reads_from_its_header_its_signal_file_or_its_name(tmp_path, given):
    header = _wfdb_record(tmp_path)
    write_wfdb_annotations(tmp_path / "rec.atr", [Annotation(100, "N")], 250.0)
    signal = read_signal(tmp_path / given)
    assert signal_format(tmp_path / given) == "wfdb"
    assert signal.source == str(header) and signal.annotations == [Annotation(100, "N")]


def test_every_waveform_listed_by_scan_reads(tmp_path):
    shutil.copy(real_file(ECG_FILE), tmp_path / "ecg.dcm")
    shutil.copy(real_file("CT_small.dcm"), tmp_path / "ct.dcm")
    bare = real_ecg_dataset()  # an old-style file: no preamble, no meta header, no suffix
    bare.SOPInstanceUID = bare.SeriesInstanceUID = "1.2.3.4"
    del bare.file_meta
    bare.preamble = None
    pydicom.dcmwrite(tmp_path / "ECG0002", bare, implicit_vr=True)
    found = scan(tmp_path, index=False)
    waveforms = [s for s in found.series if s.kind == "waveform"]
    files = sorted(f for s in waveforms for f in s.files)
    assert [Path(f).name for f in files] == ["ECG0002", "ecg.dcm"]
    for file in files:
        signal = read_signal(file)
        assert signal.samples.shape == (12, 10000) and np.all(np.isfinite(signal.samples))
    assert signal_format(tmp_path / "ct.dcm") == "dicom"


def _dicom_ecg(tmp_path, change):
    ds = real_ecg_dataset()
    change(ds, ds.WaveformSequence[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns on the invalid values set on purpose
        return save(ds, tmp_path / "bad.dcm")


def _set(keyword, value, channel=None):
    def change(ds, group):
        target = group if channel is None else group.ChannelDefinitionSequence[channel]
        setattr(target, keyword, value)

    return change


def _truncated_dat(tmp_path):
    header = _wfdb_record(tmp_path)
    dat = tmp_path / "rec.dat"
    dat.write_bytes(dat.read_bytes()[:1000])
    return header


def _garbled_header(tmp_path):
    (tmp_path / "rec.hea").write_text("this is not a record line\n")
    return tmp_path / "rec.hea"


def _missing_dat(tmp_path):
    header = _wfdb_record(tmp_path)
    (tmp_path / "rec.dat").unlink()
    return header


def _write(name, data):
    def make(tmp_path):
        (tmp_path / name).write_bytes(data)
        return tmp_path / name

    return make


def _copy(name):
    def make(tmp_path):
        return shutil.copy(real_file(name), tmp_path / "image.dcm")

    return make


def _cut_file(tmp_path):
    data = real_file(ECG_FILE).read_bytes()
    return _write("cut.dcm", data[: len(data) * 6 // 10])(tmp_path)


def _unknown_vr(tmp_path):
    data = real_file(ECG_FILE).read_bytes()
    temporal_range_type = b"\x40\x00\x30\xa1CS"  # (0040,A130) CS, explicit little endian
    assert temporal_range_type in data
    return _write("vr.dcm", data.replace(temporal_range_type, b"\x40\x00\x30\xa1Q\xfc", 1))(
        tmp_path
    )


def _garbled_offset(tmp_path):
    ds = real_ecg_dataset()
    ds.WaveformAnnotationSequence[0].ReferencedTimeOffsets = [0.25]
    data = save(ds, tmp_path / "offset.dcm").read_bytes()
    return _write("offset.dcm", data.replace(b"0.25", b"abcd", 1))(tmp_path)


def _cut_data(ds, group):
    group.WaveformData = group.WaveformData[: len(group.WaveformData) // 2]


def _drop_definition(ds, group):
    del group.ChannelDefinitionSequence[11]


BAD_FILES = {
    "truncated .dat": (_truncated_dat, "rec.hea", r"rec.dat holds 1000 bytes .*\(truncated\?\)"),
    "garbled header": (_garbled_header, "rec.hea", "not a valid WFDB header"),
    "missing .dat": (_missing_dat, "rec.hea", "signal file rec.dat is missing"),
    "unknown format": (_write("notes.txt", b"hello"), "notes.txt", "unknown waveform format"),
    "garbled EDF": (_write("x.edf", b"0       " + b"?" * 300), "x.edf", "not a readable EDF"),
    "not DICOM": (_write("x.dcm", b"\0" * 128 + b"DICM" + b"\1" * 9), "x.dcm",
                  "no WaveformSequence"),
    "cut DICOM": (_cut_file, "cut.dcm", "not a readable DICOM file"),
    "unknown VR": (_unknown_vr, "vr.dcm", "Unknown Value Representation"),
    "garbled DS": (_garbled_offset, "offset.dcm", "malformed waveform object .*'abcd'"),
    "image, no waveform": (_copy("CT_small.dcm"), "image.dcm", "no WaveformSequence"),
    "0 channels": (lambda p: _dicom_ecg(p, _set("NumberOfWaveformChannels", 0)), "bad.dcm",
                   r"group 1 \(RHYTHM\) has 0 channels"),
    "0 samples": (lambda p: _dicom_ecg(p, _set("NumberOfWaveformSamples", 0)), "bad.dcm",
                  "0 samples"),
    "NaN sensitivity": (lambda p: _dicom_ecg(p, _set("ChannelSensitivity", "NaN", 3)), "bad.dcm",
                        "channel 4: ChannelSensitivity is 'NaN', not a number"),
    "zero sensitivity": (lambda p: _dicom_ecg(p, _set("ChannelSensitivity", 0, 0)), "bad.dcm",
                         "ChannelSensitivity is 0"),
    "no rate": (lambda p: _dicom_ecg(p, _set("SamplingFrequency", 0)), "bad.dcm",
                "sampling frequency"),
    "12 bits": (lambda p: _dicom_ecg(p, _set("WaveformBitsAllocated", 12)), "bad.dcm",
                "unsupported sample encoding 12 bits SS"),
    "cut waveform data": (lambda p: _dicom_ecg(p, _cut_data), "bad.dcm",
                          r"holds 120000 bytes but .* need 240000 \(truncated\?\)"),
    "11 definitions": (lambda p: _dicom_ecg(p, _drop_definition), "bad.dcm",
                       "11 channel definitions for 12 channels"),
    "missing file": (lambda p: p / "absent.hea", "absent.hea", "no such file"),
}  # fmt: skip


@pytest.mark.parametrize("make, name, reason", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_give_an_error_naming_the_file_and_the_reason(tmp_path, make, name, reason):
    path = make(tmp_path)
    with pytest.raises(ValueError, match=reason) as caught:
        read_signal(path)
    assert str(tmp_path / name) in str(caught.value)
