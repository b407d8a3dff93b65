"""The medgui command line: `medgui` (main) and its sub-commands."""

from medgui.cli.main import main

__all__ = ["main"]
