"""The trainer, its typed events, checkpoints, distributed training and active learning: task-
independent.
"""
