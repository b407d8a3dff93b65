"""Process-wide plumbing with no domain in it: atomic writes, bounded reads, events, the garbage-
collection policy, the worker-process context and the session's process pool.
"""
