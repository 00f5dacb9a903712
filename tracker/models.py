"""Imports every model so that metadata, migrations and relationships see them all."""

from tracker.applications import budget_models as application_budget_models  # noqa: F401
from tracker.applications import models as applications_models  # noqa: F401
from tracker.audit.models import AuditEvent
from tracker.auth.models import Invite, Membership, User, UserSession
from tracker.campaigns.models import Campaign, CampaignCountry, CampaignPartner
from tracker.drives import models as drives_models  # noqa: F401
from tracker.funding.models import CampaignFunding
from tracker.grants import models as grants_models  # noqa: F401
from tracker.mail.models import OutboxMessage
from tracker.mail.suppression import MailSuppression
from tracker.money.models import Currency, ExchangeRate
from tracker.orgs.models import Organization
from tracker.proposals import models as proposals_models  # noqa: F401
from tracker.reminders import models as reminders_models  # noqa: F401
from tracker.storage.models import StoredFile, StoredFileChunk
from tracker.submissions import Submission
from tracker.targets.models import BudgetLine, FundingTarget
from tracker.tasks.models import Task
from tracker.versions import CoalitionVersion

__all__ = [
    "AuditEvent",
    "BudgetLine",
    "Campaign",
    "CampaignCountry",
    "CampaignFunding",
    "CampaignPartner",
    "CoalitionVersion",
    "Currency",
    "ExchangeRate",
    "FundingTarget",
    "Invite",
    "MailSuppression",
    "Membership",
    "Organization",
    "OutboxMessage",
    "StoredFile",
    "StoredFileChunk",
    "Submission",
    "Task",
    "User",
    "UserSession",
]
