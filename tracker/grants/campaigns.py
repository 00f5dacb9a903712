"""What the campaigns' grants have spent and what remains, beside their secured money.

For each campaign with a grant, in one currency (the campaign's funding currency, or the
dashboard's reporting currency), by the one conversion rule with the amounts' own dates:

- awarded: its grants' awarded amounts, at the rate of the application's decision date,
  as the funding gap counts awarded grants (the grant's start date when no decision date
  was recorded, so the figure never drifts with the day it is read);
- spent: approved expenditures, in each grant's currency, at the rate of their own date;
- remaining = awarded − spent.

The database adds the amounts that share a campaign, a currency and a date; each such sum
is converted and rounded once, and the results are added (money.conversion.add_converted).
A sum without a rate is left out and named, never counted as zero. One query for the
awards and one for the spending serve any number of campaigns. The dashboard shows each
campaign's figures in its reporting currency as it shows the campaign's row: converted
into the campaign's currency as above, then at the row's one rate (`shown_at`), so the
spending and the row's awarded figure agree; it reads every rate it needs in one query.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, func, select, true

from tracker.applications.models import Application
from tracker.dates import stored_date
from tracker.extensions import db
from tracker.grants.models import Expenditure, ExpenditureStatus, Grant
from tracker.money.conversion import (
    DatedSum,
    MissingPair,
    RateBook,
    add_converted,
    apply_rate,
)
from tracker.money.value import Money


@dataclass(frozen=True)
class CampaignSpending:
    """A campaign's grants: awarded, spent and remaining in one currency."""

    currency: str
    grants: int
    awarded: Money
    spent: Money
    unconverted: int = 0
    missing: tuple[MissingPair, ...] = ()

    @property
    def remaining(self) -> Money:
        return self.awarded - self.spent


@dataclass(frozen=True)
class SpendingSums:
    """The campaigns' grant awards and approved spending, summed by currency and date."""

    awarded: dict[int, list[DatedSum]]
    spent: dict[int, list[DatedSum]]

    @property
    def currencies(self) -> set[str]:
        return {item.currency for sums in (*self.awarded.values(), *self.spent.values())
                for item in sums}

    def of(self, campaign_ids: Container[int]) -> SpendingSums:
        """The sums of these campaigns alone."""
        return SpendingSums(
            {key: sums for key, sums in self.awarded.items() if key in campaign_ids},
            {key: sums for key, sums in self.spent.items() if key in campaign_ids})


def spending_sums_statements(chosen: Any) -> tuple[Select[Any], Select[Any]]:
    """The awards' and the approved spending's dated sums of the campaigns `chosen` (a
    condition on Application): the reads of `spending_sums`, for a key to read alike."""
    decided = func.coalesce(Application.decision_date, Grant.starts_on)
    awarded = (select(Application.campaign_id, Grant.currency, decided,
                      func.sum(Grant.awarded_minor), func.count())
               .join(Application, Application.id == Grant.application_id)
               .where(chosen)
               .group_by(Application.campaign_id, Grant.currency, decided))
    spent = (select(Application.campaign_id, Expenditure.grant_currency, Expenditure.spent_on,
                    func.sum(Expenditure.grant_amount_minor), func.count())
             .join(Grant, Grant.id == Expenditure.grant_id)
             .join(Application, Application.id == Grant.application_id)
             .where(chosen, Expenditure.status == ExpenditureStatus.APPROVED)
             .group_by(Application.campaign_id, Expenditure.grant_currency,
                       Expenditure.spent_on))
    return cast("Select[Any]", awarded), cast("Select[Any]", spent)


def spending_sums(campaign_ids: Iterable[int] | None) -> SpendingSums:
    """Per campaign that has a grant: its awards and approved spending as dated sums
    (of the campaigns named, or of every campaign with None: no list of ids to send)."""
    ids = None if campaign_ids is None else sorted(set(campaign_ids))
    if ids == []:
        return SpendingSums({}, {})
    chosen = Application.campaign_id.in_(ids) if ids is not None else true()
    awarded_statement, spent_statement = spending_sums_statements(chosen)
    awarded = dated_sums(db.session.execute(awarded_statement))
    if not awarded:
        return SpendingSums({}, {})  # no campaign has a grant, so nothing was spent
    return SpendingSums(awarded, dated_sums(db.session.execute(spent_statement)))


def dated_sums(rows: Iterable[Sequence[Any]]) -> dict[int, list[DatedSum]]:
    """Rows of spending_sums_statements (campaign, currency, date, sum, count) as each
    campaign's dated sums; as the database returns them, or as text (a key's read)."""
    sums: dict[int, list[DatedSum]] = {}
    for campaign_id, code, on, minor, count in rows:
        sums.setdefault(int(campaign_id), []).append(
            DatedSum(code, stored_date(on), int(minor), int(count)))
    return sums


def spending_in(sums: SpendingSums, currencies: Mapping[int, str],
                book: RateBook) -> dict[int, CampaignSpending]:
    """Each campaign's sums converted into its currency (`currencies`) with a loaded book."""
    result = {}
    for campaign_id, awards in sums.awarded.items():
        currency = currencies[campaign_id]
        total_awarded = add_converted(awards, currency, book)
        total_spent = add_converted(sums.spent.get(campaign_id, []), currency, book)
        result[campaign_id] = CampaignSpending(
            currency=currency, grants=sum(item.count for item in awards),
            awarded=total_awarded.money, spent=total_spent.money,
            unconverted=total_awarded.unconverted + total_spent.unconverted,
            missing=tuple(sorted({*total_awarded.missing, *total_spent.missing})))
    return result


def campaign_spending(campaign_ids: Iterable[int], currency: str) -> dict[int, CampaignSpending]:
    """Per campaign that has a grant: awarded, spent and remaining in `currency`."""
    sums = spending_sums(campaign_ids)
    if not sums.awarded:
        return {}
    book = RateBook.load({currency} | sums.currencies)
    return spending_in(sums, dict.fromkeys(sums.awarded, currency), book)


def shown_at(spending: CampaignSpending, rate: Decimal, currency: str) -> CampaignSpending:
    """The figures at one rate into another currency, as a dashboard row shows its campaign."""
    def shown(money: Money) -> Money:
        return apply_rate(money.amount, rate, currency)

    return CampaignSpending(currency=currency, grants=spending.grants,
                            awarded=shown(spending.awarded), spent=shown(spending.spent),
                            unconverted=spending.unconverted, missing=spending.missing)


def spending_total(spending: Iterable[CampaignSpending], currency: str) -> CampaignSpending:
    """The campaigns' figures added (each already in `currency`), missing rates named."""
    rows = list(spending)
    zero = Money.zero(currency)
    return CampaignSpending(
        currency=currency, grants=sum(row.grants for row in rows),
        awarded=sum((row.awarded for row in rows), zero),
        spent=sum((row.spent for row in rows), zero),
        unconverted=sum(row.unconverted for row in rows),
        missing=tuple(sorted({pair for row in rows for pair in row.missing})))
