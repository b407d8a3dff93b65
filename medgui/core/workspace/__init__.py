"""The user's saved work: the workspace folder (series, autosave, commit records), the audit log,
the combined DICOM export and the demo study.
"""
