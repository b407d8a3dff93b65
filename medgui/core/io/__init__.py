"""Files to volumes: scanning folders into patients, studies and series (with the study index),
loading a series into a `Volume`, ITK formats, picking a series.
"""
