"""medgui: a desktop workstation for medical images."""

__version__ = "0.1.0"
