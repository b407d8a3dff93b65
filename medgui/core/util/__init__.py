"""Process-wide plumbing with no domain in it: atomic writes, bounded reads, events, the garbage-
collection policy and the worker-process context.
"""
