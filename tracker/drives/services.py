"""The drives area's services, as other areas (and the views) import them.

Rules for drives, pledges and payments live in modules by concern: drives.drives
(create, update, move), drives.pledges (pledges and settling them), drives.payments,
drives.conversion (converting a record when it is written), drives.selectors (reading),
drives.rollup (each drive's totals), drives.imports (pledge files). Conversions follow
the one rule of tracker.money.conversion. Each drive's totals are recomputed before the
transaction commits, for every drive it changed (tracker.funding.rollups).
"""

from __future__ import annotations

from tracker.drives.conversion import convert_payment, convert_pledge
from tracker.drives.drives import (
    create_drive,
    move_drive,
    reconvert_missing,
    update_drive,
)
from tracker.drives.errors import NoNewPledges, PaymentRefused, PledgeConflict
from tracker.drives.inputs import (
    MAX_MESSAGE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REASON_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    DriveInput,
    PaymentInput,
    PledgeInput,
    PublicPledgeInput,
    today,
)
from tracker.drives.payments import Overpayment, record_payment, remove_payment
from tracker.drives.pledges import (
    cancel_pledge,
    confirm_pledge,
    log_pledge,
    reject_pledge,
    settle_pledge,
    status_from_payments,
    submit_public_pledge,
    unpaid_in_drive_currency,
    update_pledge,
    write_off_pledge,
)
from tracker.drives.rollup import (
    DriveMoney,
    TotalsRow,
    compute_drive_totals,
    drive_money,
    refresh_drive_totals,
)
from tracker.drives.selectors import (
    DRIVES_PER_PAGE,
    MISSING_RATES_SHOWN,
    PLEDGES_PER_PAGE,
    PUBLIC_SUPPORTERS_SHOWN,
    DriveFigures,
    DriveRow,
    MissingRate,
    awaiting_confirmation,
    campaigns_with_drives,
    drive_figures,
    drives_of_campaign,
    figures_of,
    find_drive,
    find_payment,
    find_pledge,
    get_drive,
    get_payment,
    get_pledge,
    get_public_drive,
    list_drives,
    list_pledges,
    missing_rates,
    organiser_choices,
    pledge_missing_rates,
    public_supporters,
)
from tracker.money.conversion import Converted, storable_rate
from tracker.status import TransitionNotAllowed

__all__ = [
    "DRIVES_PER_PAGE", "MAX_MESSAGE_LENGTH", "MAX_NAME_LENGTH", "MAX_REASON_LENGTH",
    "MAX_REFERENCE_LENGTH", "MAX_TEXT_LENGTH", "MAX_TITLE_LENGTH", "MISSING_RATES_SHOWN",
    "PLEDGES_PER_PAGE", "PUBLIC_SUPPORTERS_SHOWN", "Converted", "DriveFigures", "DriveInput",
    "DriveMoney", "DriveRow", "MissingRate", "NoNewPledges", "Overpayment", "PaymentInput",
    "PaymentRefused", "PledgeConflict", "PledgeInput", "PublicPledgeInput", "TotalsRow",
    "TransitionNotAllowed",
    "awaiting_confirmation", "campaigns_with_drives", "cancel_pledge", "compute_drive_totals",
    "confirm_pledge", "convert_payment", "convert_pledge", "create_drive", "drive_figures",
    "drive_money", "drives_of_campaign", "figures_of", "find_drive", "find_payment",
    "find_pledge", "get_drive", "get_payment", "get_pledge", "get_public_drive", "list_drives",
    "list_pledges", "log_pledge", "missing_rates", "move_drive", "organiser_choices",
    "pledge_missing_rates", "public_supporters", "reconvert_missing", "record_payment",
    "refresh_drive_totals", "reject_pledge", "remove_payment", "settle_pledge",
    "status_from_payments", "storable_rate", "submit_public_pledge", "today",
    "unpaid_in_drive_currency", "update_drive", "update_pledge", "write_off_pledge",
]
