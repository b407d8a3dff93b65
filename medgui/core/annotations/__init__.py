"""What the user marks besides labels: measurements and their store, boxes, class tags, key images,
and the DICOM SR that carries measurements.
"""
