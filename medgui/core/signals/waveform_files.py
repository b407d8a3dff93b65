"""Which paths hold waveforms, and the one door to the signal readers for the views.

`load_signal` imports the readers when first called, so the views and the command line work
(and are tested) independently of them.
"""

from __future__ import annotations

from pathlib import Path

from medgui.core.dicom.header import read_instance_header
from medgui.core.signals.signal import Signal

WAVEFORM_SUFFIXES = (".hea", ".edf")


def is_waveform_path(path: str | Path) -> bool:
    """True for a WFDB header (.hea), an EDF file, or a DICOM file whose SOP class is a waveform
    (an ECG, haemodynamic or other waveform object). Anything unreadable is not a waveform."""
    path = Path(path)
    if path.suffix.lower() in WAVEFORM_SUFFIXES:
        return True
    if not path.is_file():
        return False
    try:
        return read_instance_header(path).kind == "waveform"
    except Exception:  # noqa: BLE001 - not DICOM, or broken: the image loader says why
        return False


def load_signal(path: str | Path) -> Signal:
    """Read the waveform at `path` with the signal readers."""
    from medgui.core.signals.read import read_signal

    return read_signal(path)
