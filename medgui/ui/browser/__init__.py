"""Choosing what to read: the series browser, series ranking and the DICOM tag browser."""
