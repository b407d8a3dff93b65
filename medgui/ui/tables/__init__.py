"""The case table in the window."""
