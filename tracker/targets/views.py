"""Screens of the targets area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("targets", __name__, url_prefix="/targets")
