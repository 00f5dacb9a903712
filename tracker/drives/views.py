"""Screens of crowdfunding drives, pledges and payments, and the public drive pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("drives", __name__)
