"""What a database holds, as a backup's manifest records it, and how a restore is checked.

A manifest counts every table's rows and gives every drive's and every campaign's totals,
each twice: recomputed from the pledges, payments, targets and applications by the app's
own rules (drives.rollup.compute_drive_totals, funding.services.compute_gap: sums in
SQL, converted by the one rule), and as the roll-up tables store them. Recomputed, the
totals say what the snapshot's rows add up to whatever the roll-ups said; stored, they
show that the roll-up rows came back too. A campaign's pipeline and undecided awards are
converted at "today's" rate, so the manifest keeps the day it used (`totals_as_of`) and a
restore recomputes as of that day.

`describe` reads through `db.session`: the caller points it at the snapshot
(snapshot.reading_through) or at the restored database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, inspect, select, table, text

from tracker.campaigns.models import Campaign
from tracker.drives.models import Drive, DriveTotals
from tracker.drives.services import compute_drive_totals
from tracker.extensions import db
from tracker.funding.models import CampaignFunding
from tracker.funding.services import compute_gap
from tracker.money.value import Money, MoneyError

FORMAT = "tracker-backup"
FORMAT_VERSION = 2  # 2: files kept in the database are listed under database_files
DRIVE_FIGURES = ("pledged_minor", "received_minor", "supporters", "listed", "unconverted")
CAMPAIGN_FIGURES = ("target_minor", "awarded_minor", "received_minor", "pledged_minor",
                    "pipeline_minor", "unconverted")
# How many differences a failed check lists before it says how many more there are.
SHOWN_DIFFERENCES = 50

Entry = dict[str, Any]


@dataclass(frozen=True)
class Contents:
    """Row counts per table, every drive's and campaign's totals, the schema's revision."""

    tables: dict[str, int]
    drives: list[Entry]
    campaigns: list[Entry]
    alembic_revision: str | None
    totals_as_of: date

    def as_manifest(self) -> dict[str, Any]:
        """The manifest's part that describes the database."""
        return {"alembic_revision": self.alembic_revision,
                "totals_as_of": self.totals_as_of.isoformat(), "tables": self.tables,
                "drives": self.drives, "campaigns": self.campaigns}


def describe(as_of: date) -> Contents:
    """Count and total what the database behind `db.session` holds."""
    names = sorted(inspect(db.session.connection()).get_table_names())
    tables = {name: int(db.session.scalar(select(func.count()).select_from(table(name))) or 0)
              for name in names}
    revision = None
    if "alembic_version" in tables:
        revision = ",".join(sorted(db.session.scalars(
            text("SELECT version_num FROM alembic_version")))) or None
    return Contents(tables=tables, drives=_drives(), campaigns=_campaigns(as_of),
                    alembic_revision=revision, totals_as_of=as_of)


def _drives() -> list[Entry]:
    stored = {row.drive_id: row for row in db.session.scalars(select(DriveTotals))}
    entries = []
    for drive_id, slug, currency in db.session.execute(
            select(Drive.id, Drive.slug, Drive.currency).order_by(Drive.id)):
        fresh = compute_drive_totals(drive_id)
        row = stored.get(drive_id)
        entries.append({
            "id": drive_id, "slug": slug, "currency": currency,
            **{figure: getattr(fresh, figure) for figure in DRIVE_FIGURES},
            "stored": None if row is None else {
                "currency": row.currency,
                **{figure: getattr(row, figure) for figure in DRIVE_FIGURES}},
        })
    return entries


def _campaigns(as_of: date) -> list[Entry]:
    stored = {row.campaign_id: row for row in db.session.scalars(select(CampaignFunding))}
    entries = []
    for campaign_id, slug in db.session.execute(
            select(Campaign.id, Campaign.slug).order_by(Campaign.id)):
        gap = compute_gap(campaign_id, today=as_of)
        row = stored.get(campaign_id)
        entries.append({
            "id": campaign_id, "slug": slug, "currency": gap.currency,
            "target_minor": None if gap.target is None else gap.target.minor,
            "awarded_minor": gap.awarded.minor, "received_minor": gap.received.minor,
            "pledged_minor": gap.pledged.minor, "pipeline_minor": gap.pipeline.minor,
            "unconverted": gap.unconverted,
            "stored": None if row is None else {
                "currency": row.currency,
                **{figure: getattr(row, figure) for figure in CAMPAIGN_FIGURES}},
        })
    return entries


def drift(contents: Contents) -> list[str]:
    """Drives and campaigns whose stored roll-up differs from their recomputed totals."""
    found = []
    for kind, entries, figures in (("drive", contents.drives, DRIVE_FIGURES),
                                   ("campaign", contents.campaigns, CAMPAIGN_FIGURES)):
        for entry in entries:
            stored = entry["stored"]
            if stored is not None and any(stored[figure] != entry[figure] for figure in figures):
                found.append(f"{kind} {entry['slug']}")
    return found


# --- checking a restore --------------------------------------------------------------------


def differences(manifest: dict[str, Any], contents: Contents) -> list[str]:
    """What the restored database holds otherwise than the manifest says; [] when it matches."""
    found = _table_differences(manifest.get("tables") or {}, contents.tables)
    found += _entry_differences(_("drive"), manifest.get("drives") or [], contents.drives,
                                DRIVE_FIGURES)
    found += _entry_differences(_("campaign"), manifest.get("campaigns") or [],
                                contents.campaigns, CAMPAIGN_FIGURES)
    return found


def _table_differences(expected: dict[str, Any], actual: dict[str, int]) -> list[str]:
    found = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            found.append(_("table %(table)s is not in the restored database", table=name))
        elif name not in expected:
            found.append(_("table %(table)s is not in the manifest", table=name))
        elif actual[name] != expected[name]:
            found.append(_("table %(table)s: %(found)s rows, the manifest says %(expected)s",
                           table=name, found=actual[name], expected=expected[name]))
    return found


def _entry_differences(kind: str, expected: list[Entry], actual: list[Entry],
                       figures: tuple[str, ...]) -> list[str]:
    found = []
    listed = {entry.get("id"): entry for entry in expected}
    restored = {entry["id"]: entry for entry in actual}
    for key in sorted(set(listed) | set(restored), key=str):
        if key not in restored:
            found.append(_("%(kind)s %(name)s is not in the restored database", kind=kind,
                           name=listed[key].get("slug", key)))
            continue
        entry = restored[key]
        if key not in listed:
            found.append(_("%(kind)s %(name)s is not in the manifest", kind=kind,
                           name=entry["slug"]))
            continue
        name = entry["slug"]
        found += _figure_differences(kind, name, "", listed[key], entry, figures)
        if entry["stored"] is not None or listed[key].get("stored") is not None:
            found += _figure_differences(kind, name, _("stored") + " ",
                                         listed[key].get("stored") or {},
                                         entry["stored"] or {}, figures)
    return found


def _figure_differences(kind: str, name: str, prefix: str, expected: Entry, actual: Entry,
                        figures: tuple[str, ...]) -> list[str]:
    found = []
    for figure in ("currency", *figures):
        if expected.get(figure) != actual.get(figure):
            currency = str(actual.get("currency") or "")
            found.append(_("%(kind)s %(name)s: %(figure)s %(found)s, the manifest says "
                           "%(expected)s", kind=kind, name=name,
                           figure=prefix + figure.removesuffix("_minor"),
                           found=_shown(figure, actual.get(figure), currency),
                           expected=_shown(figure, expected.get(figure), currency)))
    return found


def _shown(figure: str, value: Any, currency: str) -> str:
    """A figure as a reader compares it: money in its currency ('11000.00 RUB')."""
    if figure.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(Money.stored(value, currency))
        except MoneyError:
            return str(value)
    return "—" if value is None else str(value)
