"""Labeling: the label session of the open series, tools and input, overlay, panels, files,
persistence, jobs in workers, smart labeling and tags.
"""
