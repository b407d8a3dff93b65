"""`python -m medgui` runs the same command as the `medgui` console script."""

import sys

from medgui.cli import main

sys.exit(main())
