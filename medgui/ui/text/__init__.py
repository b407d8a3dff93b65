"""Report text in the window: reports, their findings, tags from reports."""
