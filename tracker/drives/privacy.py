"""A trace of every look at supporters' contact data: one audit event per page or export.

Who may look is decided by tracker.auth.permissions.may_see_contacts; this module
records that they did. Events have their own record type, `personal_data`, with the
record looked at as their id ("drive:12", "pledge:40"): the audit screen lists every
look at one drive's supporters, while a record's History section keeps showing its
changes only. An event names how many supporters were shown, never their data, so that
the trail holds no new copy of what it records the reading of.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from tracker.audit.hooks import record_event
from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.registry import event_type
from tracker.drives.models import Drive, Pledge
from tracker.extensions import db

# What a page records a look at: a supporter's means of contact and their own words. Names
# show on every staff page (or "Anonymous", see may_see_contacts) and are not counted.
CONTACT_FIELDS = ("contact_email", "message")

PERSONAL_DATA = event_type("personal_data", label=_l("Supporters' personal data"), fields={
    "supporters": _l("Supporters"),
    "shown_on": _l("Where"),
    "file": _l("File"),
    "pledge_ids": _l("Pledges"),
})


def personal_data_id(record_type: str, record_id: int | str) -> str:
    """The id of a personal-data event about a record: 'drive:12'."""
    return f"{record_type}:{record_id}"


def record_contacts_viewed(drive: Drive, pledge_ids: Iterable[int], *, page: str,
                           pledge: Pledge | None = None) -> bool:
    """Note that the current user saw the contact data of these supporters; False if none."""
    shown = sorted(set(pledge_ids))
    if not shown:
        return False
    record = ("pledge", pledge.id) if pledge is not None else ("drive", drive.id)
    commit_without_waiting_for_the_disk(db.session())
    record_event(db.session(), action=AuditAction.VIEW, record_type=PERSONAL_DATA,
                 record_id=personal_data_id(*record), summary=_summary(drive, pledge),
                 changes={"supporters": len(shown), "shown_on": page,
                          "pledge_ids": _listed(shown)})
    return True


def record_contacts_exported(drive: Drive, *, file: str) -> None:
    """Note that the current user (or a command) took the drive's pledges out as a file."""
    supporters = db.session.scalar(
        select(func.count()).select_from(Pledge).where(Pledge.drive_id == drive.id)) or 0
    record_event(db.session(), action=AuditAction.EXPORT, record_type=PERSONAL_DATA,
                 record_id=personal_data_id("drive", drive.id), summary=_summary(drive, None),
                 changes={"supporters": supporters, "file": file})


# PostgreSQL: this transaction's commit returns once its WAL record is written, without
# waiting for it to be flushed to disk (1 to 4 ms on the bench machine: the largest part of
# the staff drive page's note), but only while the transaction has written nothing yet (no
# transaction id assigned), so that the note of a look is the only thing it ever covers.
# The event is still linked into the chain under its lock and committed before the page is
# sent; what a crash of the database server can lose is the last fraction of a second of
# such notes, never a change, and never a link in the middle of the chain: WAL is flushed
# in order, so the next synchronous commit (any change) makes every note before it durable.
_NOTE_WITHOUT_FLUSH = text(
    "SELECT set_config('synchronous_commit', 'off', true) "
    "WHERE pg_current_xact_id_if_assigned() IS NULL")


# SQLite (WAL): the same with synchronous=NORMAL, the connection's setting: the commit no
# longer waits for the disk (0.7 ms to several on the bench machine); an OS crash or power
# loss may lose the last notes, never corrupt the file (WAL), and an application crash loses
# nothing. Python's sqlite3 opens no transaction for reads, so a connection not yet in one
# has written nothing: the note is then all its transaction writes. The setting is put back
# to FULL as the connection goes back to the pool (_back_to_full), after the commit or a
# rollback alike, before any other write can run on it.
_NORMAL = "tracker.privacy.synchronous_normal"


def commit_without_waiting_for_the_disk(session: Session) -> None:
    """Let the commit of a transaction that only notes a look return without waiting for
    the disk (PostgreSQL: _NOTE_WITHOUT_FLUSH; SQLite: synchronous=NORMAL until the
    connection is returned); nothing when the transaction wrote anything already, nor when
    the session holds changes not yet flushed."""
    if session.new or session.dirty or session.deleted:
        return
    connection = session.connection(bind_arguments={"mapper": AuditEvent})
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTE_WITHOUT_FLUSH)
        return
    raw = connection.connection.driver_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        # Marked before it is set: were the PRAGMA to fail, FULL is set again all the same.
        connection.connection.info[_NORMAL] = True
        raw.execute("PRAGMA synchronous = NORMAL")


@event.listens_for(Pool, "checkin")
def _back_to_full(dbapi_connection: Any, record: Any) -> None:
    """A connection whose note committed with synchronous=NORMAL is FULL again as it goes
    back to the pool (after its commit, or its rollback on an error): no other write ever
    runs with NORMAL."""
    if record.info.pop(_NORMAL, False) and dbapi_connection is not None:
        try:
            dbapi_connection.execute("PRAGMA synchronous = FULL")
        except Exception as error:
            # Never pooled with NORMAL: closed, and opened afresh (FULL) on next use.
            record.invalidate(error)


def _summary(drive: Drive, pledge: Pledge | None) -> str:
    if pledge is None:
        return drive.slug
    return f"{drive.slug} · #{pledge.id}"


def _listed(ids: list[int], limit: int = 100) -> str:
    """'3, 7, 12' (at most `limit` ids, then '…'): which pledges, without their contents."""
    text = ", ".join(str(pledge_id) for pledge_id in ids[:limit])
    return text + (", …" if len(ids) > limit else "")
