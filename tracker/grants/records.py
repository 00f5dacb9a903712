"""Finding grants and their records by what a URL names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.applications.models import Application
from tracker.errors import found
from tracker.extensions import db
from tracker.grants.models import Expenditure, Grant, ReportingPeriod, Transfer
from tracker.paging import Page, page_of

GRANTS_PER_PAGE = 50


def get_grant(grant_id: int) -> Grant:
    """The grant a URL names by its id, or NotFound."""
    return found(db.session.get(Grant, grant_id), "grant")


def find_grant(reference: str) -> Grant:
    """The grant with this agreement reference (as commands name it), or NotFound."""
    return found(db.session.scalar(select(Grant).where(Grant.reference == reference.strip())),
                 "grant")


def grant_of_application(application_id: int) -> Grant | None:
    """The grant opened from an application, if any."""
    return db.session.scalar(select(Grant).where(Grant.application_id == application_id))


def get_expenditure(grant: Grant, expenditure_id: int) -> Expenditure:
    """One of the grant's expenditures, or NotFound."""
    return found(db.session.scalar(select(Expenditure).where(
        Expenditure.id == expenditure_id, Expenditure.grant_id == grant.id)), "expenditure")


def get_transfer(grant: Grant, transfer_id: int) -> Transfer:
    """One of the grant's tranches, or NotFound."""
    return found(db.session.scalar(select(Transfer).where(
        Transfer.id == transfer_id, Transfer.grant_id == grant.id)), "transfer")


def get_period(grant: Grant, number: int) -> ReportingPeriod:
    """The grant's reporting period by its number, or NotFound."""
    return found(db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.grant_id == grant.id, ReportingPeriod.number == number)), "period")


def list_grants() -> list[Grant]:
    """Every grant, the newest first."""
    return list(db.session.scalars(select(Grant).order_by(Grant.starts_on.desc(),
                                                          Grant.id.desc())))


def page_of_grants(page: int = 1, per_page: int = GRANTS_PER_PAGE) -> Page[Grant]:
    """One page of the grants, the newest first, with what the list shows loaded alongside."""
    return page_of(select(Grant)
                   .options(joinedload(Grant.application).joinedload(Application.donor),
                            joinedload(Grant.holder))
                   .order_by(Grant.starts_on.desc(), Grant.id.desc()), page, per_page)
