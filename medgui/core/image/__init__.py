"""Volumes and what is done to them for reading: `Volume` and its LPS geometry, slices and
reformatting, resampling, windowing and the viewer's state.
"""
