"""Case tables: one row per case, features measured from images, labels and the record (no
Qt, no torch)."""
