"""ECG and other waveform views (issue 15): thin widgets over core.signals."""
