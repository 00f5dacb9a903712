"""The grants area's public face: opening a grant, its budget, spending, tranches, figures.

Each concern lives in its own module (budget, spending, receipts, transfers, figures,
records); this module re-exports their public names so other areas import from one place.
"""

from __future__ import annotations

from tracker.grants.budget import (
    GrantInput,
    NewLineInput,
    PeriodInput,
    RevisionInput,
    check_periods,
    current_amounts,
    donor_flexibility,
    open_grant,
    revise_budget,
    scaled_to,
)
from tracker.grants.errors import (
    BudgetDoesNotAddUp,
    DuplicateDocument,
    GrantError,
    GrantExists,
    NotAwarded,
    SpendingRefused,
    TransferRefused,
)
from tracker.grants.figures import (
    BudgetActual,
    Dimension,
    Figures,
    Row,
    budget_against_actual,
    period_running,
    version_in_force,
)
from tracker.grants.receipts import ReceiptFile, check_receipt, receipt_bytes
from tracker.grants.records import (
    find_grant,
    get_expenditure,
    get_grant,
    get_period,
    get_transfer,
    grant_of_application,
    list_grants,
)
from tracker.grants.spending import (
    ExpenditureInput,
    approve_expenditure,
    check_expenditure,
    in_grant_currency,
    record_expenditure,
    return_expenditure,
    update_expenditure,
    withdraw_expenditure,
)
from tracker.grants.spending_lists import (
    ExpenditureList,
    SpendingFilter,
    Visibility,
    list_expenditures,
    own_share,
    spending_lines,
    spending_partners,
    spending_visibility,
)
from tracker.grants.transfers import (
    TransferInput,
    record_transfer,
    remove_transfer,
    update_transfer,
)

__all__ = [
    "BudgetActual", "BudgetDoesNotAddUp", "Dimension", "DuplicateDocument",
    "ExpenditureInput", "Figures", "GrantError", "GrantExists", "GrantInput",
    "NewLineInput", "NotAwarded", "PeriodInput", "ReceiptFile", "RevisionInput", "Row",
    "SpendingRefused", "TransferInput", "TransferRefused", "approve_expenditure",
    "budget_against_actual", "check_expenditure", "check_periods", "check_receipt",
    "current_amounts", "donor_flexibility", "find_grant", "get_expenditure", "get_grant",
    "get_period",
    "get_transfer", "grant_of_application", "in_grant_currency", "list_grants",
    "open_grant", "period_running", "receipt_bytes", "record_expenditure",
    "record_transfer", "remove_transfer", "return_expenditure", "revise_budget",
    "scaled_to", "update_expenditure", "update_transfer", "version_in_force",
    "withdraw_expenditure",
]
# Spending on the web (its own list, so that each slice's names merge without conflict).
__all__ += [
    "ExpenditureList", "SpendingFilter", "Visibility", "list_expenditures", "own_share",
    "spending_lines", "spending_partners", "spending_visibility",
]
