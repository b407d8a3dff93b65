"""`scan` lists WFDB records and EDF files as waveform series (recognised by name and EDF's
first bytes, without the signal readers); a record's data and annotation files are part of it,
and a file named .edf that is not EDF is a problem naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import edfio
import numpy as np
import wfdb

from medgui.core import scan


def _folder(tmp_path: Path) -> Path:
    t = np.linspace(0, 4, 1000)
    wfdb.wrsamp("rec", fs=250, units=["mV"], sig_name=["II"], p_signal=np.sin(t)[:, None],
                fmt=["16"], write_dir=str(tmp_path))  # fmt: skip
    wfdb.wrann("rec", "atr", np.array([100, 350]), symbol=["N", "N"], write_dir=str(tmp_path))
    edfio.Edf([edfio.EdfSignal(np.sin(t), 250, label="ECG", physical_range=(-1.0, 1.0))]).write(
        tmp_path / "sleep.edf"
    )
    (tmp_path / "fake.edf").write_text("not an EDF file\n")
    return tmp_path


def test_records_and_edf_files_are_waveform_series_and_their_parts_no_problems(tmp_path):
    found = scan(_folder(tmp_path), index=False)
    by_name = {Path(s.path).name: s for s in found.series}
    assert set(by_name) == {"rec.hea", "sleep.edf"}
    assert {s.kind for s in by_name.values()} == {"waveform"}
    assert (by_name["rec.hea"].format, by_name["sleep.edf"].format) == ("wfdb", "edf")
    assert by_name["rec.hea"].uid == f"file:{os.path.abspath(tmp_path / 'rec.hea')}"
    assert found.image_series == []
    # rec.dat and rec.atr belong to the record; only the false .edf is a problem, and says why.
    assert [(Path(e.path).name, "not an EDF file" in e.reason) for e in found.errors] == [
        ("fake.edf", True)
    ]


def test_one_record_scanned_by_its_header(tmp_path):
    found = scan(_folder(tmp_path) / "rec.hea", index=False)
    assert [(s.kind, s.format) for s in found.series] == [("waveform", "wfdb")]
    assert found.errors == []
