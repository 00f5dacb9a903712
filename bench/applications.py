"""The synthetic coalition's donors' calls and about 2,000 applications at every stage, with
their status history and reports, written in chunks."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from bench.coalition import PLEDGE_DAYS, Coalition
from bench.rows import EventWriter, at, next_id, write_in_chunks
from tracker.applications.models import (
    Application,
    ApplicationStatus,
    FundingCall,
    ReportContent,
    ReportDue,
    ReportKind,
    StatusChange,
)
from tracker.campaigns.models import Campaign
from tracker.db import table_of, utcnow
from tracker.extensions import db
from tracker.orgs.models import Organization

APPLICATIONS = 2_000
CALLS_PER_DONOR = 15


def add_applications(world: Coalition) -> None:
    """Each donor's calls, then the applications, each with its history and reports."""
    rng, today = world.rng, world.today
    now = utcnow()
    tables = {model.__tablename__: table_of(model)
              for model in (FundingCall, Application, StatusChange, ReportDue)}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    ids = {name: next_id(table) for name, table in tables.items()}

    def add(name: str, row: dict[str, Any]) -> dict[str, Any]:
        row["id"] = ids[name] + len(rows[name])
        rows[name].append(row)
        return row

    for donor, currency in world.donors:
        for n in range(CALLS_PER_DONOR):
            deadline = today + timedelta(days=rng.randint(-PLEDGE_DAYS, 180))
            add("funding_call", {
                "donor_org_id": donor.id, "title_en": f"{donor.name_en} call {n + 1}",
                "title_ru": f"Конкурс {donor.name_ru} {n + 1}",
                "reference": f"B-{donor.id}-{n}", "url": "",
                "opens_on": deadline - timedelta(days=60), "deadline": deadline,
                "currency": currency, "min_amount_minor": 10_000_00,
                "max_amount_minor": 300_000_00, "max_duration_months": 24,
                "eligible_applicant_kinds": [], "countries": [], "single_country": False,
                "notes": "", "created_at": now, "updated_at": now})
    calls = rows["funding_call"]
    future_calls = [call for call in calls if call["deadline"] >= today]
    past_calls = [call for call in calls if call["deadline"] < today]
    statuses = ([ApplicationStatus.IDEA] * 10 + [ApplicationStatus.DRAFTING] * 10
                + [ApplicationStatus.SUBMITTED] * 12 + [ApplicationStatus.UNDER_REVIEW] * 13
                + [ApplicationStatus.AWARDED] * 25 + [ApplicationStatus.REJECTED] * 20
                + [ApplicationStatus.WITHDRAWN] * 10)
    for n in range(APPLICATIONS):
        campaign, members = rng.choice(world.campaigns)
        status = rng.choice(statuses)
        waiting = status in (ApplicationStatus.IDEA, ApplicationStatus.DRAFTING)
        call = rng.choice(future_calls if waiting else past_calls) if rng.random() < 0.15 \
            else None
        application = add("application", _application(world, n, campaign, members, status,
                                                      call, now))
        for change in _history(world, application, status):
            add("application_status_change", change)
        for report in _reports(world, application):
            add("report_due", report)
    connection = db.session.connection()
    events = EventWriter(connection)
    for name, table in tables.items():
        write_in_chunks(connection, events, table, rows[name])
    world.report.calls = len(calls)
    world.report.applications = len(rows["application"])
    world.report.events += events.written


def _application(world: Coalition, n: int, campaign: Campaign, members: list[Organization],
                 status: ApplicationStatus, call: dict[str, Any] | None, now: datetime
                 ) -> dict[str, Any]:
    """An application at its status, with its dates as the status machine leaves them."""
    rng, today = world.rng, world.today
    if call is not None:
        donor_id, currency, deadline = call["donor_org_id"], call["currency"], call["deadline"]
    else:
        donor, currency = rng.choice(world.donors)
        donor_id = donor.id
        if status in (ApplicationStatus.IDEA, ApplicationStatus.DRAFTING):
            # a few are overdue, as in life
            deadline = today + timedelta(days=rng.randint(-15, 180)
                                         if rng.random() < 0.05 else rng.randint(1, 180))
        else:
            deadline = today - timedelta(days=rng.randint(100, PLEDGE_DAYS))
    applicant = rng.choice(members)
    if donor_id == world.donors[2][0].id:  # the Special Programme funds governments
        applicant = world.governments[rng.choice(members).country]
    requested = rng.randint(20, 300) * 1_000_00
    return {
        "campaign_id": campaign.id, "donor_org_id": donor_id,
        "call_id": call["id"] if call else None, "applicant_org_id": applicant.id,
        "title_en": f"Application {n + 1}: {campaign.title_en}",
        "title_ru": f"Заявка {n + 1}", "requested_minor": requested, "currency": currency,
        "awarded_minor": None, "awarded_currency": None,
        "probability": {ApplicationStatus.IDEA: rng.randint(10, 30),
                        ApplicationStatus.DRAFTING: rng.randint(20, 50),
                        ApplicationStatus.SUBMITTED: rng.randint(30, 60),
                        ApplicationStatus.UNDER_REVIEW: rng.randint(40, 80),
                        ApplicationStatus.AWARDED: 100}.get(status, 0),
        "status": status, "submission_deadline": deadline, "submitted_on": None,
        "decision_date": None, "project_starts_on": None, "project_ends_on": None,
        "countries": [applicant.country], "notes": "", "created_at": now, "updated_at": now,
    }


def _history(world: Coalition, application: dict[str, Any], status: ApplicationStatus
             ) -> list[dict[str, Any]]:
    """The moves from an idea to the status; sets the dates those moves set."""
    rng, today = world.rng, world.today
    submitted = application["submission_deadline"] - timedelta(days=rng.randint(1, 10))
    moved = submitted - timedelta(days=40)
    history = []
    for before, after in pairwise(_path_to(status, rng)):
        if after is ApplicationStatus.SUBMITTED:
            moved = submitted
            application["submitted_on"] = submitted
        else:
            moved = min(today, moved + timedelta(days=rng.randint(5, 40)))
        history.append({"application_id": application["id"], "from_status": before,
                        "to_status": after, "changed_by_id": None,
                        "changed_at": at(moved, rng), "note": ""})
    if status in (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW):
        application["decision_date"] = today + timedelta(days=rng.randint(5, 120))
    elif status in (ApplicationStatus.AWARDED, ApplicationStatus.REJECTED):
        application["decision_date"] = moved
    if status is ApplicationStatus.AWARDED:
        application["awarded_minor"] = (application["requested_minor"]
                                        * rng.randint(60, 100) // 100)
        application["awarded_currency"] = application["currency"]
        starts = moved + timedelta(days=30)
        application["project_starts_on"] = starts
        application["project_ends_on"] = starts + timedelta(days=30 * rng.randint(12, 24))
    return history


def _reports(world: Coalition, application: dict[str, Any]) -> list[dict[str, Any]]:
    """An awarded application's interim and final reports; past ones mostly sent."""
    if application["awarded_minor"] is None:
        return []
    rng, today = world.rng, world.today
    reports = []
    for kind, due in ((ReportKind.INTERIM,
                       application["project_starts_on"] + timedelta(days=180)),
                      (ReportKind.FINAL,
                       application["project_ends_on"] + timedelta(days=60))):
        done = due - timedelta(days=rng.randint(0, 10)) if due < today else None
        if done is not None and rng.random() < 0.03:
            done = None  # an overdue report
        reports.append({"application_id": application["id"], "kind": kind, "due_on": due,
                        "done_on": done, "note": "", "content": ReportContent.BOTH,
                        "period_id": None})
    return reports


def _path_to(status: ApplicationStatus, rng: random.Random) -> list[ApplicationStatus]:
    """The moves an application made from an idea to its status."""
    S = ApplicationStatus
    forward = [S.IDEA, S.DRAFTING, S.SUBMITTED, S.UNDER_REVIEW]
    if status in forward:
        return forward[:forward.index(status) + 1]
    if status is S.AWARDED:
        return [*forward, S.AWARDED]
    if status is S.REJECTED:
        return [*forward[:rng.choice((3, 4))], S.REJECTED]
    return [*forward[:rng.randint(1, 4)], S.WITHDRAWN]
