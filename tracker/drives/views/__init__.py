"""Screens of crowdfunding drives, pledges and payments, and the public drive pages.

One blueprint, `bp`, in modules by screen: `drives` (the list, a drive, its form and
status), `pledges` (pledges and payments), `removals` (deleting
a payment or a pledge, after a confirmation), `files` (importing and exporting pledges),
`public` (the public page, the thank-you page, the widget), `awaiting` (rejecting
public pledges in bulk), `unsubscribe` (the unsubscribe link of supporters' messages).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("drives", __name__)

# Importing the modules registers their routes on bp.
from tracker.drives.views import (  # noqa: E402, F401
    awaiting,
    drives,
    files,
    pledges,
    public,
    removals,
    unsubscribe,
)
