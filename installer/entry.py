"""The frozen application's entry point: the same `medgui` command as the console script."""

import sys

from medgui.cli import main

if __name__ == "__main__":
    sys.exit(main())
