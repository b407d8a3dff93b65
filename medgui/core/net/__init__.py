"""The archive: DICOM networking (query/retrieve/send) and DICOMweb clients (no Qt, no torch)."""
