"""Waveforms (ECG, pressure, respiration): the `Signal` model, its readers and writers and its
annotations. Qt-free and torch-free, like `Volume`."""
