"""`read_signal(path)`: one `Signal` from any waveform file medgui reads, the reader chosen by
the file's content (DICOM's "DICM" marker or a bare dataset that `scan` takes for DICOM, EDF's
and BDF's first bytes) and, for WFDB, by its ``.hea`` header (a ``.dat`` or ``.atr`` beside one,
or the bare record name, reads the record).
"""

from __future__ import annotations

from pathlib import Path

from medgui.core.dicom.header import read_instance_header
from medgui.core.signals.signal import Signal

_EDF_MAGIC = b"0       "
_BDF_MAGIC = b"\xffBIOSEMI"
_WFDB_SIBLINGS = {".dat", ".atr", ".qrs", ".ecg", ".hea"}


def signal_format(path: str | Path) -> str | None:
    """The reader that suits `path`: "dicom", "wfdb", "edf" or "bdf"; None for other files."""
    path = Path(path)
    header = path.with_suffix(".hea")
    if (path.suffix.lower() in _WFDB_SIBLINGS or not path.suffix) and header.is_file():
        return "wfdb"
    try:
        with path.open("rb") as file:
            head = file.read(132)
    except OSError:
        return None
    if head[128:132] == b"DICM" or path.suffix.lower() == ".dcm":
        return "dicom"
    if head.startswith(_EDF_MAGIC):
        return "edf"
    if head.startswith(_BDF_MAGIC):
        return "bdf"
    try:  # a bare DICOM dataset (no preamble), accepted as `scan` accepts it
        read_instance_header(path)
    except ValueError:
        return None
    return "dicom"


def read_signal(path: str | Path) -> Signal:
    """The waveform in `path`. For a DICOM object with several multiplex groups, the longest
    ECG-like group (`dicom_waveform.main_group`: the rhythm, not the median beat), with the
    other groups' labels in ``metadata["other_groups"]`` (`read_dicom_waveform` gives all).
    For an EDF file, the channels sharing the most common rate (`edf.read_edf`). `ValueError`
    naming the file and the reason when it is not a waveform medgui reads."""
    path = Path(path)
    if not path.exists() and not path.with_suffix(".hea").is_file():
        raise ValueError(f"{path}: no such file")
    kind = signal_format(path)
    # The readers import wfdb and edfio (pandas, scipy: a third of a second) only when used.
    if kind == "dicom":
        from medgui.core.signals.dicom_waveform import main_group, read_dicom_waveform

        groups = read_dicom_waveform(path)
        signal = main_group(groups)
        signal.metadata["other_groups"] = [
            g.metadata["multiplex_group"] for g in groups if g is not signal
        ]
        return signal
    if kind == "wfdb":
        from medgui.core.signals.wfdb_io import read_wfdb

        return read_wfdb(path.with_suffix(".hea"))
    if kind in ("edf", "bdf"):
        from medgui.core.signals.edf import read_edf

        return read_edf(path)
    raise ValueError(
        f"{path}: unknown waveform format (medgui reads DICOM waveforms, WFDB records and "
        "EDF/EDF+/BDF files)"
    )
