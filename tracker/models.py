"""Imports every model so that metadata, migrations and relationships see them all."""

from tracker.campaigns.models import Campaign, CampaignCountry, CampaignPartner
from tracker.money.models import Currency, ExchangeRate
from tracker.orgs.models import Organization
from tracker.targets.models import BudgetLine, FundingTarget

__all__ = [
    "BudgetLine",
    "Campaign",
    "CampaignCountry",
    "CampaignPartner",
    "Currency",
    "ExchangeRate",
    "FundingTarget",
    "Organization",
]
