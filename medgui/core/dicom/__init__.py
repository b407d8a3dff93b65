"""DICOM files one at a time: the header record and its readers (reference and fast path), pixels,
slice geometry, values, and writing series.
"""
