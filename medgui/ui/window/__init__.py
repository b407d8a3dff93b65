"""The main window and what composes it: the study actions, the welcome, About, the audit log
viewer, headless screenshots, the GUI-thread collector.
"""
