"""Each campaign's funding roll-up: target, secured, pledged and pipeline in one currency.

The figures are derived, never typed: funding.services.refresh_campaign_funding writes
them from the targets, applications, pledges and payments, in the same transaction as
the change that made them stale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.campaigns.models import Campaign
from tracker.db import Base, UTCDateTime, utcnow
from tracker.money.models import MoneyBucketColumns


class CampaignFunding(Base):
    """A campaign's figures in the currency of its funding targets (the first target's).

    target: the sum of the campaign's targets (NULL without a target); awarded: awarded
    grants; received: payments to its drives; pledged: the unpaid rest of open pledges;
    pipeline: submitted and under-review requests weighted by probability. `missing`
    lists up to MISSING_KEPT rates that were not found, as [base, quote, ISO date]; the
    amounts that needed them are left out of the figures and counted in `unconverted`.
    """

    __tablename__ = "campaign_funding"
    __table_args__ = (
        CheckConstraint("target_minor IS NULL OR target_minor >= 0", name="target_not_negative"),
        CheckConstraint("awarded_minor >= 0", name="awarded_not_negative"),
        CheckConstraint("received_minor >= 0", name="received_not_negative"),
        CheckConstraint("pledged_minor >= 0", name="pledged_not_negative"),
        CheckConstraint("pipeline_minor >= 0", name="pipeline_not_negative"),
        CheckConstraint("unconverted >= 0", name="unconverted_not_negative"),
    )

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    target_minor: Mapped[int | None] = mapped_column(BigInteger)
    awarded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    received_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    pledged_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    pipeline_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    unconverted: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                   onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()


class CampaignMoneyBucket(MoneyBucketColumns, Base):
    """The sum of a campaign's drive buckets of one kind, currency and date, converted
    into the campaign's funding currency (NULL when the rate is missing).

    Received and pledged in campaign_funding are the sums of these (funding.buckets).
    """

    __tablename__ = "campaign_money_bucket"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"),
                                             primary_key=True)
