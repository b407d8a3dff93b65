"""Qt workers: the only glue between the GUI thread and long-running compute.

`medgui.workers.load_worker` holds the scan, load, demo and thumbnail workers;
`medgui.workers.study_jobs.StudyJobs` runs them in sequence for a window.
"""
