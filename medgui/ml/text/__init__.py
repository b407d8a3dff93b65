"""The report task: a text classifier trained locally on the user's reports."""
