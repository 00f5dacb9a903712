"""Slow work as tasks: a job per task, a progress page, and its file to download."""
