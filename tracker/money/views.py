"""Screens of the money area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("money", __name__, url_prefix="/money")
