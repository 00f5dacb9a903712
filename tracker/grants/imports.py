"""Importing expenditures from a bank's or an accountant's export (CSV or XLSX): all or nothing.

The standard file is a CSV with the header `date,line,partner,amount,currency,document,
description`: the day the money was spent (YYYY-MM-DD), the budget line's code (1.1),
the partner's short name (its slug), the amount and its currency as paid, the document
number (invoice, payment order) and an optional description. Other programs' exports
are read through a column mapping (our field -> their header), as pledge files are;
reading the file and its columns is tracker.tabular's, a workbook's checks before it is
read tracker.workbook's, an amount's check tracker.money.amounts'.

Every row is checked by the web form's own rules (spending.check_expenditure) and
converted by the one rule (spending.in_grant_currency: the rate of the row's date);
one bad row refuses the whole file, and every problem is named by its row (the header
is row 1), its column (as the file names it) and why. A partner's lead may import only
its own organisation's rows. As with pledge files and their references, a row whose
document the grant already holds for that partner is skipped and counted, so importing
the file again adds nothing twice; a document twice in the file is a problem.

A dry run (and the web preview) only checks. An import reads the file once, inside a
savepoint, recording each good row through spending.record_expenditure (which checks
and converts by the same rules) as it is read; a bad row undoes the savepoint, so a
refused file writes nothing. The expenditures wait for approval, recorded by the
importing user (None from the command line).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from tracker.auth.models import User
from tracker.auth.permissions import Action, can
from tracker.csvfiles import FileRefused, RowError, check_size, empty_file
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.grants.models import Expenditure, Grant, GrantStatus
from tracker.grants.spending import (
    ExpenditureInput,
    check_expenditure,
    in_grant_currency,
    preload,
    record_expenditure,
)
from tracker.money.amounts import amount_problem
from tracker.money.models import Currency
from tracker.money.value import Money, minor_units
from tracker.orgs.models import Organization
from tracker.tabular import Columns, cell_date, cell_text, parse_amount, table_rows
from tracker.workbook import FileLimits, check_csv_rows, check_workbook, is_xlsx

FIELDS = ("date", "line", "partner", "amount", "currency", "document", "description")
REQUIRED = FIELDS[:-1]  # the description may be left out
STANDARD_HEADER = ",".join(FIELDS)
FIELD_NAMES = {
    "date": _l("date"),
    "line": _l("budget line"),
    "partner": _l("partner"),
    "amount": _l("amount"),
    "currency": _l("currency"),
    "document": _l("document number"),
    "description": _l("description"),
}
PROBLEMS_KEPT = 500  # a file of thousands of bad rows is listed up to here, then counted
# The field a spending rule names (spending.py) -> the file's column it concerns.
Problem = Callable[[str, str], None]  # (our field, reason): a problem in the row's column
COLUMN_OF_FIELD = {"line_code": "line", "partner_org_id": "partner", "spent_on": "date",
                   "amount": "amount", "document_number": "document",
                   "description": "description", "bank_rate": "currency"}


class ExpenditureImportError(FileRefused):
    """A file of expenditures was refused as a whole; `rows` lists its problems."""


COLUMNS = Columns(
    fields=FIELDS, required=REQUIRED, standard_header=STANDARD_HEADER, names=FIELD_NAMES,
    refuse=ExpenditureImportError,
    unknown_field=lambda name, fields: _("“%(field)s” is not a field of a file of expenditures; "
                                         "the fields are %(fields)s.", field=name,
                                         fields=fields))


@dataclass(frozen=True)
class ImportProblem(RowError):
    """One thing wrong with one row: its number, its column as the file names it, and why."""

    column: str = ""

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)

    @property
    def message(self) -> str:
        return _("Row %(row)s, column %(column)s: %(reason)s", row=self.row,
                 column=self.column, reason=self.reason)


@dataclass(frozen=True)
class ImportRow:
    """A checked row: the expenditure it records, converted, or a document already recorded."""

    row: int
    data: ExpenditureInput
    partner: str  # the partner's name, as the screens show it
    grant_amount: Money | None  # None for a row skipped as already recorded
    duplicate: bool = False

    @property
    def line_code(self) -> str:
        return self.data.line_code

    @property
    def spent_on(self) -> date:
        return self.data.spent_on

    @property
    def amount(self) -> Money:
        return self.data.amount

    @property
    def document(self) -> str:
        return self.data.document_number

    @property
    def description(self) -> str:
        return self.data.description


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, on a dry run, would do): every row read, and its total."""

    grant_id: int
    currency: str
    filename: str
    rows: tuple[ImportRow, ...]
    dry_run: bool = True
    expenditure_ids: tuple[int, ...] = field(default=())

    @property
    def new(self) -> tuple[ImportRow, ...]:
        return tuple(row for row in self.rows if not row.duplicate)

    @property
    def skipped(self) -> tuple[ImportRow, ...]:
        return tuple(row for row in self.rows if row.duplicate)

    @property
    def total(self) -> Money:
        """The new rows' sum in the grant's currency, each converted by the one rule."""
        return Money.stored(sum(row.grant_amount.minor for row in self.new
                                if row.grant_amount is not None), self.currency)


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """A column mapping cleaned up: known fields only, each column used once."""
    return COLUMNS.check_mapping(mapping)


def organizations_of(grant: Grant) -> list[Organization]:
    """Who spends the grant's money: its holder, then its partners."""
    return [grant.holder, *(partner.organization for partner in grant.partners
                            if partner.organization_id != grant.holder_org_id)]


def importing_for(grant: Grant, user: User | None) -> list[Organization]:
    """The grant's organisations whose spending this user may import (all, for a command)."""
    return [org for org in organizations_of(grant)
            if user is None or can(user, Action.RECORD_SPENDING, organization=org.id)]


def expenditure_template(grant: Grant, user: User | None) -> str:
    """A CSV to fill in: the header, and a row for each line the user may spend on."""
    allowed = {org.id: org for org in importing_for(grant, user)}
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for line in sorted(grant.lines, key=lambda line: line.position):
        if line.partner_org_id in allowed:
            writer.writerow([grant.starts_on.isoformat(), line.code,
                             allowed[line.partner_org_id].slug, "", grant.currency, "", ""])
    return "\ufeff" + text.getvalue()  # the byte-order mark makes Excel read it as UTF-8


class _Checker:
    """Checks the rows one by one, against each other, the grant and its spending rules."""

    def __init__(self, grant: Grant, positions: dict[str, int], header: Sequence[Any],
                 by: User | None, max_rows: int, write: bool) -> None:
        self.grant = grant
        self.positions = positions
        self.columns = {name: cell_text(header[index]) or name
                        for name, index in positions.items()}
        self.width = max(positions.values()) + 1
        self.by = by
        self.max_rows = max_rows
        self.write = write  # record each good row as it is checked (in the caller's savepoint)
        self.ids: list[int] = []
        organizations = organizations_of(grant)
        self.orgs = {org.slug.casefold(): org for org in organizations}
        self.allowed = {org.id for org in importing_for(grant, by)}
        self.currencies = set(db.session.scalars(select(Currency.code)))
        # The lines and the rates, read once for the file rather than once a row.
        self.preloaded = preload(grant, self.currencies)
        self.recorded = {(org_id, document) for org_id, document in db.session.execute(
            select(Expenditure.partner_org_id, Expenditure.document_number).where(
                Expenditure.grant_id == grant.id, Expenditure.document_number != ""))}
        self.documents: dict[tuple[int, str], int] = {}  # (partner, document) -> its row
        self.rows: list[ImportRow] = []
        self.problems: list[ImportProblem] = []
        self.bad_rows = 0
        self.total_rows = 0

    def read(self, rows: Iterator[Sequence[Any]]) -> None:
        for number, values in enumerate(rows, start=2):
            if not any(cell_text(value) for value in values):
                continue  # blank lines (often the last one) record nothing
            self.total_rows += 1
            if self.total_rows > self.max_rows:
                raise ExpenditureImportError(ngettext(
                    "The file has more than %(num)d row. Split it into smaller files.",
                    "The file has more than %(num)d rows. Split it into smaller files.",
                    self.max_rows))
            if len(values) < self.width:
                values = [*values, *([None] * (self.width - len(values)))]
            found = self.check(number, values)
            if found:
                self.bad_rows += 1
                room = PROBLEMS_KEPT - len(self.problems)
                if room > 0:
                    self.problems.extend(found[:room])

    def _cell(self, values: Sequence[Any], name: str) -> Any:
        position = self.positions.get(name)
        return None if position is None else values[position]

    def check(self, number: int, values: Sequence[Any]) -> list[ImportProblem]:
        """The row's problems (none when it is recorded or skipped as already recorded)."""
        problems: list[ImportProblem] = []

        def problem(name: str, reason: str) -> None:
            problems.append(ImportProblem(number, (reason,), self.columns[name]))

        spent_on = self._date(self._cell(values, "date"), problem)
        code = cell_text(self._cell(values, "line"))
        if not code:
            problem("line", _("The budget line is missing."))
        org = self._partner(cell_text(self._cell(values, "partner")), problem)
        currency = cell_text(self._cell(values, "currency")).upper()
        amount = self._amount(self._cell(values, "amount"), currency, problem)
        if not currency:
            problem("currency", _("The currency is missing."))
        elif currency not in self.currencies:
            problem("currency", _("Unknown currency: “%(code)s”.", code=currency[:10]))
        document = cell_text(self._cell(values, "document"))
        if not document:
            problem("document", _("The document number is missing: every row needs one, so "
                                  "that importing the file again adds nothing twice."))
        elif org is not None:
            earlier = self.documents.setdefault((org.id, document), number)
            if earlier != number:
                problem("document", _("Document %(number)s of %(partner)s is already on row "
                                      "%(other)s.", number=document, partner=org.name,
                                      other=earlier))
        if (problems or spent_on is None or org is None or amount is None
                or currency not in self.currencies):
            return problems
        data = ExpenditureInput(line_code=code, partner_org_id=org.id, spent_on=spent_on,
                                amount=Money(amount, currency), document_number=document,
                                description=cell_text(self._cell(values, "description")))
        if (org.id, document) in self.recorded:
            self.rows.append(ImportRow(number, data, org.name, None, duplicate=True))
            return problems
        try:
            if self.write and not self.bad_rows:
                # The same rules and the one conversion, run by the service that records
                # (once a row is bad nothing more is written: the savepoint is undone).
                expenditure = record_expenditure(self.grant, data, by=self.by,
                                                 preloaded=self.preloaded)
                self.ids.append(expenditure.id)
                minor = expenditure.grant_amount_minor
            else:
                # The web form's rules, the same words; the one rule of conversion.
                check_expenditure(self.grant, data, preloaded=self.preloaded)
                minor = in_grant_currency(self.grant, data.amount, spent_on,
                                          book=self.preloaded.book).minor
        except DomainError as refusal:
            problem(COLUMN_OF_FIELD.get(refusal.field or "", "line"), refusal.message)
            return problems
        self.rows.append(ImportRow(number, data, org.name,
                                   Money.stored(minor, self.grant.currency)))
        return problems

    @staticmethod
    def _date(value: Any, problem: Problem) -> date | None:
        day = cell_date(value)
        if day is None:
            text = cell_text(value)
            problem("date", _("The date is missing.") if not text else
                    _("“%(value)s” is not a date in the form YYYY-MM-DD.", value=text[:40]))
        return day

    def _partner(self, slug: str, problem: Problem) -> Organization | None:
        if not slug:
            problem("partner", _("The partner is missing."))
            return None
        org = self.orgs.get(slug.casefold())
        if org is None:
            problem("partner", _("“%(slug)s” is not an organisation of this grant; its "
                                 "organisations are %(slugs)s.", slug=slug[:60],
                                 slugs=", ".join(sorted(self.orgs))))
            return None
        if org.id not in self.allowed:
            problem("partner", _("You may not record the spending of %(partner)s.",
                                 partner=org.name))
            return None
        return org

    def _amount(self, value: Any, currency: str, problem: Problem) -> Decimal | None:
        places = minor_units(currency) if currency in self.currencies else None
        parsed = parse_amount(value, places)
        if isinstance(parsed, str):
            problem("amount", parsed)
            return None
        # The one amount check (money.amounts); trailing zeros ("1500.500") are no decimals.
        reason = amount_problem(parsed.normalize(), currency if places is not None else None)
        if reason:
            problem("amount", reason)
            return None
        return parsed


def _limits(content: bytes, filename: str) -> int:
    """Refuse a file over the size limit, or a workbook over the others; the row limit."""
    config = current_app.config
    check_size(len(content), config["EXPENDITURE_IMPORT_MAX_BYTES"], ExpenditureImportError)
    max_rows: int = config["EXPENDITURE_IMPORT_MAX_ROWS"]
    if is_xlsx(content, filename):
        check_workbook(content, FileLimits.configured(max_rows), ExpenditureImportError)
    else:
        check_csv_rows(content, max_rows, ExpenditureImportError)
    return max_rows


def check_expenditure_file(grant: Grant, content: bytes, filename: str,
                           mapping: Mapping[str, str] | None = None, *,
                           by: User | None) -> ImportResult:
    """Read and check every row of a file of expenditures for a grant; write nothing.

    Raises ExpenditureImportError naming the file's problem, or listing its rows'
    problems ("Row N, column C: reason"). `by` is who imports (None: a command).
    """
    return _read(grant, content, filename, mapping, by=by, write=False)


def _read(grant: Grant, content: bytes, filename: str, mapping: Mapping[str, str] | None, *,
          by: User | None, write: bool) -> ImportResult:
    """Check every row (and, with `write`, record each good one); refuse a file with a bad one."""
    if grant.status is not GrantStatus.ACTIVE:
        raise ExpenditureImportError(_("The grant is closed: no more spending is recorded."))
    max_rows = _limits(content, filename)
    mapping = check_mapping(mapping or {})
    empty = empty_file(STANDARD_HEADER, ExpenditureImportError)
    if not content.strip():
        raise empty
    rows = table_rows(content, filename, ExpenditureImportError)
    header = next(rows, None)
    if not header or not any(cell_text(value) for value in header):
        raise empty
    checker = _Checker(grant, COLUMNS.positions(header, mapping), header, by, max_rows, write)
    checker.read(rows)
    if checker.bad_rows:
        raise ExpenditureImportError(
            ngettext("Nothing was imported: %(num)d row has a problem. Correct it and import "
                     "the file again.",
                     "Nothing was imported: %(num)d rows have problems. Correct them and "
                     "import the file again.", checker.bad_rows),
            checker.problems,
            more=checker.bad_rows - len({problem.row for problem in checker.problems}))
    if checker.total_rows == 0:
        raise ExpenditureImportError(_("The file has a header but no expenditures."))
    return ImportResult(grant_id=grant.id, currency=grant.currency, filename=filename,
                        rows=tuple(checker.rows), dry_run=not write,
                        expenditure_ids=tuple(checker.ids))


def import_expenditures(grant: Grant, content: bytes, filename: str,
                        mapping: Mapping[str, str] | None = None, *, by: User | None,
                        dry_run: bool = False) -> ImportResult:
    """Check a file of expenditures and record its new rows, waiting for approval (or, on a
    dry run, only say what would be recorded); the caller commits."""
    if dry_run:
        return check_expenditure_file(grant, content, filename, mapping, by=by)
    # One reading that records each good row as it is checked, in a savepoint: a refused
    # file undoes this import's rows only, never the caller's work.
    with db.session.begin_nested():
        return _read(grant, content, filename, mapping, by=by, write=True)
