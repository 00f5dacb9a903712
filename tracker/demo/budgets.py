"""The demo applications' own budgets (application_budgets.toml), through the services.

An application that already has budget lines is left alone, so loading twice adds nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tracker.applications import services
from tracker.applications.budget_models import CofinancingSource
from tracker.applications.models import Application
from tracker.demo.files import organization, read
from tracker.drives.models import Drive
from tracker.extensions import db
from tracker.targets.models import BudgetUnit

BUDGETS: list[dict[str, Any]] = read("application_budgets")["budgets"]


def _drive_id(slug: str) -> int:
    drive_id = db.session.scalar(select(Drive.id).where(Drive.slug == slug))
    if drive_id is None:
        raise LookupError(f"demo drive {slug!r} is missing")
    return drive_id


def _share(item: dict[str, Any]) -> services.ShareInput:
    return services.ShareInput(
        source=CofinancingSource(item["source"]), amount=Decimal(item["amount"]),
        drive_id=_drive_id(item["drive"]) if "drive" in item else None,
        partner_org_id=organization(item["partner"]).id if "partner" in item else None,
        note=item.get("note", ""))


def _line(item: dict[str, Any], currency: str, budget: dict[str, Any]) -> services.BudgetLineInput:
    return services.BudgetLineInput(
        year=item["year"], donor_category=item["category"],
        quantity=Decimal(item["quantity"]), unit_cost=Decimal(item["unit_cost"]),
        currency=item.get("currency", currency),
        description_en=item["description_en"], description_ru=item["description_ru"],
        unit=BudgetUnit(item["unit"]),
        partner_org_id=organization(item["partner"]).id if "partner" in item else None,
        justification_en=item.get("justification_en", ""),
        justification_ru=item.get("justification_ru", ""),
        requested=Decimal(item["requested"]) if "requested" in item else None,
        shares=tuple(_share(share) for share in item.get("shares", ())),
        rate_date=budget.get("rate_date"),
    )


def load_budget_demo() -> int:
    """Give the demo applications their budgets; returns how many lines were added."""
    added = 0
    for budget in BUDGETS:
        application = db.session.scalar(select(Application).where(
            Application.donor_org_id == organization(budget["donor"]).id,
            Application.title_en == budget["application"]))
        if application is None or services.has_budget(application):
            continue
        for item in budget["lines"]:
            services.add_budget_line(application, _line(item, application.currency, budget))
            added += 1
    return added
