"""Label maps on an image's grid: the map and its table, edit operations with undo, clean-up,
interpolation, grow from seeds, statistics, NIfTI/NRRD and DICOM SEG files.
"""
