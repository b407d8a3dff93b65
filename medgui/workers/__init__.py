"""Qt workers: the only glue between the GUI thread and long-running compute.

`medgui.workers.load_worker` holds the scan, load, demo and thumbnail workers.
"""
