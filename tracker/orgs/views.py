"""Screens of the orgs area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("orgs", __name__, url_prefix="/orgs")
