"""Reports: the `Report` model of one series and its PDF and HTML renderers (never Qt)."""
