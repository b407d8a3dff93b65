"""The task catalogue as the widgets see it: `medgui.ml.models.catalogue` (plain data, no
torch), passed through here because ui reaches medgui.ml only through workers."""

from medgui.ml.models.catalogue import VALIDATION, TaskEntry, task_entry, task_names

__all__ = ["VALIDATION", "TaskEntry", "task_entry", "task_names"]
