"""What every panel of the window shares: theme, settings, the error dialog, progress, docks."""
