"""Command-line commands: `flask --app tracker <command>`."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach the project's commands to the app's CLI."""
