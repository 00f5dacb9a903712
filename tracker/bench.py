"""A synthetic coalition for benchmarks: `flask --app tracker seed-bench --pledges N`.

Twenty campaigns with their lead and partner NGOs across the EECCA countries, funding
targets with budget lines, donors' calls and about 2,000 applications at every stage,
100 public live drives, N pledges in mixed currencies (one drive holds a tenth of them)
with payments for about half, weekday exchange rates for every pair of the coalition's
currencies over the two years the pledges span, and one coordinator account
(bench@bench.tracker) for the benchmark to request pages as.

The few records (organisations, campaigns, targets, drives, the account) go through the
services. Rates, calls, applications, pledges and payments are too many for that: they
are written in chunks by `bulk_insert` (executemany on SQLite, COPY on PostgreSQL), each
value through its column's type; pledges' and payments' stored conversions are computed
in Python with the drives service's own helpers and money.services.RateBook (the same
lookup as rate_on, without a query per amount), and every bulk row gets the "created"
audit event the ORM hooks would have written. Then every drive's roll-up is refreshed
by the drives service, and the campaigns' funding roll-up by the funding service.
Everything is one transaction: a failure leaves the database as empty as it was.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal, localcontext
from enum import Enum
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import Table, func, select, text

from tracker.applications.models import (
    Application,
    ApplicationStatus,
    FundingCall,
    ReportDue,
    ReportKind,
    StatusChange,
)
from tracker.audit.hooks import _bulk_event, current_actor, jsonable
from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.registry import NOISE_COLUMNS, spec_for_type
from tracker.auth.models import Role
from tracker.auth.services import UserInput, create_user
from tracker.bulk import bulk_insert
from tracker.campaigns.models import Campaign, CampaignStatus, PartnerRole, Theme
from tracker.campaigns.services import CampaignInput, PartnerInput, create_campaign
from tracker.db import utcnow
from tracker.drives import services as drives
from tracker.drives.models import (
    PAYMENT_DRIVEN,
    Channel,
    DriveStatus,
    Payment,
    Pledge,
    PledgeSource,
    PledgeStatus,
)
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.services import RateBook
from tracker.money.value import Money, minor_units
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import OrganizationInput, create_organization
from tracker.targets.models import BudgetCategory, BudgetUnit
from tracker.targets.services import BudgetLineInput, TargetInput, add_line, create_target

BENCH_EMAIL = "bench@bench.tracker"
RATE_SOURCE = "Synthetic benchmark rates"
CAMPAIGNS = 20
DRIVES_PER_CAMPAIGN = 5
APPLICATIONS = 2_000
CALLS_PER_DONOR = 15
PLEDGE_DAYS = 730  # pledges are dated over the last two years
RATE_DAYS = PLEDGE_DAYS + 40  # rates start a little before the oldest drive
BIG_DRIVE_SHARE = Decimal("0.10")
CHUNK = 5_000

# Countries of the coalition: names, a city, and the currency people there pledge in.
COUNTRIES: dict[str, tuple[str, str, str, str, str]] = {
    "AM": ("Armenia", "Армения", "Yerevan", "Ереван", "AMD"),
    "AZ": ("Azerbaijan", "Азербайджан", "Baku", "Баку", "AZN"),
    "BY": ("Belarus", "Беларусь", "Minsk", "Минск", "BYN"),
    "GE": ("Georgia", "Грузия", "Tbilisi", "Тбилиси", "GEL"),
    "KG": ("Kyrgyzstan", "Кыргызстан", "Bishkek", "Бишкек", "KGS"),
    "KZ": ("Kazakhstan", "Казахстан", "Almaty", "Алматы", "KZT"),
    "MD": ("Moldova", "Молдова", "Chișinău", "Кишинёв", "MDL"),
    "RU": ("Russia", "Россия", "Chelyabinsk", "Челябинск", "RUB"),
    "TJ": ("Tajikistan", "Таджикистан", "Dushanbe", "Душанбе", "TJS"),
    "UA": ("Ukraine", "Украина", "Kyiv", "Киев", "UAH"),
    "UZ": ("Uzbekistan", "Узбекистан", "Tashkent", "Ташкент", "UZS"),
}
# Units of each currency per US dollar on the first day; every pair of these gets rates.
# Ordered from the most to the least valuable: each pair is stored once, as the earlier
# currency to the later one (a rate above 1), so the other direction is an inverse.
START_PER_USD: dict[str, str] = {
    "EUR": "0.92", "USD": "1", "AZN": "1.70", "GEL": "2.70", "BYN": "3.25", "TJS": "10.9",
    "MDL": "17.8", "UAH": "40.5", "KGS": "87.5", "RUB": "90.5", "AMD": "390", "KZT": "470",
    "UZS": "12600",
}
RATED = tuple(START_PER_USD)
# Currencies some pledges come in that have no rate at all: their conversions stay missing.
UNRATED = ("GBP", "CHF")
TARGET_CURRENCIES = ("USD", "EUR", "RUB")

DONORS: tuple[tuple[str, str, str, str, OrgKind, str], ...] = (
    ("undp", "United Nations Development Programme", "Программа развития ООН", "US",
     OrgKind.INTERGOVERNMENTAL, "USD"),
    ("unido", "UN Industrial Development Organization", "ЮНИДО", "AT",
     OrgKind.INTERGOVERNMENTAL, "USD"),
    ("unep-sp", "UNEP Special Programme", "Специальная программа ЮНЕП", "CH", OrgKind.DONOR,
     "USD"),
    ("gef", "Global Environment Facility", "Глобальный экологический фонд", "US",
     OrgKind.DONOR, "USD"),
    ("sida", "Sida", "Sida", "SE", OrgKind.GOVERNMENT, "EUR"),
    ("eu", "European Union", "Европейский союз", "BE", OrgKind.INTERGOVERNMENTAL, "EUR"),
    ("green-foundation", "Green Future Foundation", "Фонд «Зелёное будущее»", "DE",
     OrgKind.FOUNDATION, "EUR"),
    ("clean-earth-fund", "Clean Earth Fund", "Фонд «Чистая земля»", "US", OrgKind.FOUNDATION,
     "USD"),
)
NGO_WORDS = (("Eco", "Эко"), ("Green", "Зелёная"), ("Clean", "Чистая"), ("Safe", "Безопасная"))
THEMES = [theme for theme in Theme if theme is not Theme.OTHER]
FIRST_NAMES = ("Анна", "Мария", "Ольга", "Елена", "Айгуль", "Гульнара", "Нино", "Ани",
               "Иван", "Сергей", "Алексей", "Дмитрий", "Нурлан", "Азамат", "Давид", "Арман",
               "Anna", "Maria", "Olga", "Timur", "Dilnoza", "Sofia", "Andrei", "Rustam")
LAST_NAMES = ("Петрова", "Иванова", "Смирнова", "Ким", "Алиева", "Садыкова", "Беридзе",
              "Петров", "Иванов", "Кузнецов", "Сейткали", "Рахимов", "Гарибян", "Мельник",
              "Ceban", "Popescu", "Nazarova", "Karimov", "Shevchenko", "Abdullaeva")
PLEDGE_CHANNELS = (Channel.BANK_TRANSFER, Channel.CARD, Channel.CASH, Channel.ONLINE_PLATFORM,
                   Channel.OTHER)
PAYMENT_METHODS = (Channel.BANK_TRANSFER, Channel.CARD, Channel.CASH, Channel.ONLINE_PLATFORM)
# What a typical pledge is worth, in US dollars (median of a log-normal spread).
PLEDGE_MEDIAN_USD = 30.0
PLEDGE_SPREAD = 1.0


class BenchError(DomainError):
    """The synthetic coalition cannot be built into this database."""


@dataclass
class BenchReport:
    """What seed-bench created, and how long it took."""

    organisations: int = 0
    campaigns: int = 0
    targets: int = 0
    lines: int = 0
    rates: int = 0
    calls: int = 0
    applications: int = 0
    drives: int = 0
    pledges: int = 0
    payments: int = 0
    events: int = 0
    funding_refreshed: bool = False
    big_drive: str = ""
    timings: dict[str, float] = field(default_factory=dict)


# --- the rates ---------------------------------------------------------------------------


def rate_rows(first_day: date, last_day: date, rng: random.Random
              ) -> tuple[list[dict[str, Any]], dict[str, Decimal]]:
    """Weekday rates for every pair of RATED currencies, and each one's units per dollar today.

    Each currency walks randomly against the dollar; a pair's rate is the ratio of the
    two, to six significant digits, stored once (the more valuable currency as base).
    """
    per_usd = {code: Decimal(value) for code, value in START_PER_USD.items()}
    rows: list[dict[str, Any]] = []
    day = first_day
    while day <= last_day:
        for code in RATED:
            if code != "USD":
                step = Decimal(rng.randint(-40, 40)) / 10_000
                per_usd[code] = _significant(per_usd[code] * (1 + step), 6)
        if day.weekday() < 5:  # no rates at weekends: those days use Friday's
            for i, base in enumerate(RATED):
                for quote in RATED[i + 1:]:
                    rate = _significant(per_usd[quote] / per_usd[base], 6)
                    rows.append({"on_date": day, "base": base, "quote": quote,
                                 "rate": rate, "source": RATE_SOURCE})
        day += timedelta(days=1)
    return rows, dict(per_usd)


def _significant(value: Decimal, digits: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = digits
        return +value


class Converter:
    """Conversions as drives.services._convert stores them, without a query per amount.

    The stored rates are read once into money.services.RateBook, which answers exactly
    as rate_on does; each (pair, date) is looked up once and kept.
    """

    def __init__(self, book: RateBook) -> None:
        self.book = book
        self._rates: dict[tuple[str, str, date], tuple[Decimal, Decimal, date | None] | None] = {}

    def __call__(self, minor: int, currency: str, to: str, on: date) -> drives._Converted:
        """Minor units in `to`, the rate as stored and the date of that rate (None: missing)."""
        key = (currency, to, on)
        if key not in self._rates:
            found = self.book.dated_rate(currency, to, on)
            self._rates[key] = (None if found is None
                                else (found[0], drives._storable(found[0]), found[1]))
        rate = self._rates[key]
        if rate is None:
            return drives._Converted(None, None, None)
        if currency == to:
            return drives._Converted(minor, rate[1], None)
        amount = Decimal(minor).scaleb(-minor_units(currency))
        with localcontext() as ctx:
            ctx.prec = 50
            result = Money.rounded(amount * rate[0], to)
        return drives._Converted(result.minor, rate[1], rate[2])


# --- the command -------------------------------------------------------------------------


@click.command("seed-bench")
@click.option("--pledges", "pledge_count", type=click.IntRange(min=0), default=10_000,
              show_default=True, help="How many pledges to create across the 100 drives.")
@click.option("--seed", type=int, default=2026, show_default=True,
              help="Seed of the random generator: the same seed builds the same coalition.")
@with_appcontext
def seed_bench(pledge_count: int, seed: int) -> None:
    """Build a synthetic coalition with N pledges into an empty database, for benchmarks."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException(_("This is a production database: seed-bench only fills "
                                     "empty development or benchmark databases."))
    started = time.perf_counter()
    try:
        with click.progressbar(length=pledge_count, label=_("Pledges"),
                               show_pos=True) as bar:
            report = build_coalition(pledge_count, seed, progress=bar.update)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    commit_started = time.perf_counter()
    db.session.commit()
    report.timings["commit"] = time.perf_counter() - commit_started
    elapsed = time.perf_counter() - started
    click.echo(_("Created %(orgs)d organisations, %(campaigns)d campaigns, %(targets)d funding "
                 "targets with %(lines)d budget lines, %(rates)d exchange rates, %(calls)d "
                 "funding calls, %(applications)d applications, %(drives)d drives, "
                 "%(pledges)d pledges, %(payments)d payments and %(events)d audit events "
                 "in %(seconds).1f s.",
                 orgs=report.organisations, campaigns=report.campaigns,
                 targets=report.targets, lines=report.lines, rates=report.rates,
                 calls=report.calls, applications=report.applications, drives=report.drives,
                 pledges=report.pledges, payments=report.payments, events=report.events,
                 seconds=elapsed))
    click.echo(_("Biggest drive: %(slug)s. Log in as %(email)s (no password: the benchmark "
                 "opens its session itself).", slug=report.big_drive, email=BENCH_EMAIL))
    click.echo(_("Time per step: %(steps)s.", steps=", ".join(
        f"{step} {seconds:.1f} s" for step, seconds in report.timings.items())))
    if not report.funding_refreshed:
        click.echo(_("The campaign funding roll-up (tracker.funding.services) is not available; "
                     "it was not refreshed."))


def build_coalition(pledge_count: int, seed: int,
                    progress: Callable[[int], Any] = lambda done: None) -> BenchReport:
    """Write the synthetic coalition into an empty database, in the session's transaction."""
    if db.session.scalar(select(Campaign.id).limit(1)) is not None:
        raise BenchError(_("The database already holds campaigns: seed-bench fills an empty "
                           "database only. Point TRACKER_DATABASE_URL at a new database and run "
                           "flask db upgrade first."))
    rng = random.Random(seed)
    report = BenchReport()
    today = drives.today()
    builder = _Builder(rng, today, report)
    builder.step("organisations", builder.organisations)
    builder.step("campaigns", builder.campaigns)
    builder.step("rates", builder.rates)
    builder.step("applications", builder.applications)
    builder.step("drives", builder.drives, pledge_count)
    builder.step("pledges", builder.pledges, pledge_count, progress)
    builder.step("drive totals", builder.drive_totals)
    builder.step("campaign funding", builder.campaign_funding)
    return report


@dataclass
class _DrivePlan:
    id: int
    slug: str
    currency: str
    starts_on: date
    count: int


class _Builder:
    """The steps of build_coalition, sharing the random generator and what was made."""

    def __init__(self, rng: random.Random, today: date, report: BenchReport) -> None:
        self.rng, self.today, self.report = rng, today, report
        self.ngos: list[Organization] = []
        self.governments: dict[str, Organization] = {}
        self.donors: list[tuple[Organization, str]] = []
        self.campaign_list: list[tuple[Campaign, list[Organization]]] = []
        self.plans: list[_DrivePlan] = []
        self.per_usd: dict[str, Decimal] = {}
        self.user_id: int | None = None

    def step(self, name: str, work: Callable[..., Any], *args: Any) -> None:
        started = time.perf_counter()
        work(*args)
        db.session.flush()
        self.report.timings[name] = time.perf_counter() - started

    # --- organisations, campaigns, targets -----------------------------------------------

    def organisations(self) -> None:
        self._org("bench-hub", "Regional Chemical Safety Hub",
                  "Региональный центр химической безопасности", "RU", OrgKind.HUB)
        for code, (name_en, name_ru, city_en, city_ru, _currency) in COUNTRIES.items():
            for n, (word_en, word_ru) in enumerate(NGO_WORDS[:3], start=1):
                self.ngos.append(self._org(
                    f"bench-{code.lower()}-ngo-{n}", f"{word_en} {name_en} {n}",
                    f"{word_ru} {name_ru} {n}", code, OrgKind.NGO, city_en, city_ru))
            self.governments[code] = self._org(
                f"bench-{code.lower()}-ministry", f"Ministry of Environment of {name_en}",
                f"Министерство экологии ({name_ru})", code, OrgKind.GOVERNMENT, city_en,
                city_ru)
        for slug, name_en, name_ru, country, kind, currency in DONORS:
            self.donors.append((self._org(f"bench-{slug}", name_en, name_ru, country, kind),
                                currency))

    def _org(self, slug: str, name_en: str, name_ru: str, country: str, kind: OrgKind,
             city_en: str = "", city_ru: str = "") -> Organization:
        self.report.organisations += 1
        return create_organization(OrganizationInput(slug, name_en, name_ru, country, kind,
                                                     city_en=city_en, city_ru=city_ru))

    def campaigns(self) -> None:
        rng = self.rng
        for n in range(1, CAMPAIGNS + 1):
            theme = THEMES[(n - 1) % len(THEMES)]
            lead = self.ngos[(n - 1) * 7 % len(self.ngos)]
            others = [org for org in self.ngos if org.country != lead.country]
            partners = rng.sample(others, rng.randint(2, 4))
            roles = [PartnerRole.CO_LEAD] + [rng.choice((PartnerRole.PARTNER,
                                                         PartnerRole.ASSOCIATE))
                                             for _ in partners[1:]]
            countries = sorted({lead.country, *(org.country for org in partners)})
            campaign = create_campaign(CampaignInput(
                slug=f"bench-campaign-{n:02d}",
                title_en=f"{theme.label} {n}", title_ru=f"Кампания {n}: {theme.value}",
                theme=theme, lead_org_id=lead.id, status=CampaignStatus.ACTIVE,
                summary_en=f"Synthetic campaign {n} for benchmarks.",
                summary_ru=f"Синтетическая кампания {n} для замеров.",
                starts_on=self.today - timedelta(days=PLEDGE_DAYS + 30),
                ends_on=self.today + timedelta(days=365),
                partners=[PartnerInput(org.id, role) for org, role in zip(partners, roles,
                                                                          strict=True)],
                countries=countries,
            ))
            self.report.campaigns += 1
            self.campaign_list.append((campaign, [lead, *partners]))
            self._target(campaign, [lead, *partners], TARGET_CURRENCIES[n % 3])

    def _target(self, campaign: Campaign, members: list[Organization], currency: str) -> None:
        rng = self.rng
        target = create_target(campaign, TargetInput(
            starts_on=campaign.starts_on or self.today, ends_on=campaign.ends_on or self.today,
            currency=currency, title_en="Regional budget", title_ru="Региональный бюджет"))
        self.report.targets += 1
        scale = Decimal(100) if currency == "RUB" else Decimal(1)
        for category in rng.sample(list(BudgetCategory), rng.randint(4, 6)):
            partner = rng.choice(members)
            add_line(target, BudgetLineInput(
                category=category, quantity=Decimal(rng.randint(1, 24)),
                unit_cost=Decimal(rng.randint(5, 80) * 100) * scale,
                description_en=f"{category.label} ({partner.country})",
                description_ru=f"{category.value} ({partner.country})",
                unit=BudgetUnit.MONTH if category is BudgetCategory.STAFF else BudgetUnit.LUMP_SUM,
                partner_org_id=partner.id))
            self.report.lines += 1

    # --- rates -------------------------------------------------------------------------

    def rates(self) -> None:
        rows, per_usd = rate_rows(self.today - timedelta(days=RATE_DAYS), self.today, self.rng)
        # Only roughly: what a pledge in a currency without rates would be worth in dollars.
        self.per_usd = {**per_usd, "GBP": Decimal("0.79"), "CHF": Decimal("0.88")}
        connection = db.session.connection()
        table: Table = ExchangeRate.__table__  # type: ignore[assignment]
        events = _EventWriter(connection)
        first_id = _next_id(table)
        now = utcnow()
        for number, row in enumerate(rows):
            row.update(id=first_id + number, created_at=now)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            bulk_insert(connection, table, chunk)
            events.created(table, chunk)
        _move_sequence(table)
        self.report.rates = len(rows)
        self.report.events += events.written

    # --- calls and applications ----------------------------------------------------------

    def applications(self) -> None:
        rng, today = self.rng, self.today
        now = utcnow()
        tables = {model.__tablename__: model.__table__
                  for model in (FundingCall, Application, StatusChange, ReportDue)}
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        ids = {name: _next_id(table) for name, table in tables.items()}  # type: ignore[arg-type]

        def add(name: str, row: dict[str, Any]) -> dict[str, Any]:
            row["id"] = ids[name] + len(rows[name])
            rows[name].append(row)
            return row

        for donor, currency in self.donors:
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
            campaign, members = rng.choice(self.campaign_list)
            status = rng.choice(statuses)
            waiting = status in (ApplicationStatus.IDEA, ApplicationStatus.DRAFTING)
            call = rng.choice(future_calls if waiting else past_calls) if rng.random() < 0.15 \
                else None
            application = add("application", self._application(n, campaign, members, status,
                                                               call, now))
            for change in self._history(application, status):
                add("application_status_change", change)
            for report in self._reports(application):
                add("report_due", report)
        connection = db.session.connection()
        events = _EventWriter(connection)
        for name, table in tables.items():
            for start in range(0, len(rows[name]), CHUNK):
                chunk = rows[name][start:start + CHUNK]
                bulk_insert(connection, table, chunk)  # type: ignore[arg-type]
                events.created(table, chunk)  # type: ignore[arg-type]
            _move_sequence(table)  # type: ignore[arg-type]
        self.report.calls = len(calls)
        self.report.applications = len(rows["application"])
        self.report.events += events.written

    def _application(self, n: int, campaign: Campaign, members: list[Organization],
                     status: ApplicationStatus, call: dict[str, Any] | None, now: datetime
                     ) -> dict[str, Any]:
        """An application at its status, with its dates as the status machine leaves them."""
        rng, today = self.rng, self.today
        if call is not None:
            donor_id, currency, deadline = call["donor_org_id"], call["currency"], call["deadline"]
        else:
            donor, currency = rng.choice(self.donors)
            donor_id = donor.id
            if status in (ApplicationStatus.IDEA, ApplicationStatus.DRAFTING):
                # a few are overdue, as in life
                deadline = today + timedelta(days=rng.randint(-15, 180)
                                             if rng.random() < 0.05 else rng.randint(1, 180))
            else:
                deadline = today - timedelta(days=rng.randint(100, PLEDGE_DAYS))
        applicant = rng.choice(members)
        if donor_id == self.donors[2][0].id:  # the Special Programme funds governments
            applicant = self.governments[rng.choice(members).country]
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

    def _history(self, application: dict[str, Any], status: ApplicationStatus
                 ) -> list[dict[str, Any]]:
        """The moves from an idea to the status; sets the dates those moves set."""
        rng, today = self.rng, self.today
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
                            "changed_at": _at(moved, rng), "note": ""})
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

    def _reports(self, application: dict[str, Any]) -> list[dict[str, Any]]:
        """An awarded application's interim and final reports; past ones mostly sent."""
        if application["awarded_minor"] is None:
            return []
        rng, today = self.rng, self.today
        reports = []
        for kind, due in ((ReportKind.INTERIM,
                           application["project_starts_on"] + timedelta(days=180)),
                          (ReportKind.FINAL,
                           application["project_ends_on"] + timedelta(days=60))):
            done = due - timedelta(days=rng.randint(0, 10)) if due < today else None
            if done is not None and rng.random() < 0.03:
                done = None  # an overdue report
            reports.append({"application_id": application["id"], "kind": kind, "due_on": due,
                            "done_on": done, "note": ""})
        return reports

    # --- drives ---------------------------------------------------------------------------

    def drives(self, pledge_count: int) -> None:
        rng, today = self.rng, self.today
        # The big drive holds a tenth; the others share the rest unevenly (a Zipf-like skew).
        weights = [1 / (rank ** 0.6) for rank in range(1, CAMPAIGNS * DRIVES_PER_CAMPAIGN)]
        rng.shuffle(weights)
        big = round(pledge_count * BIG_DRIVE_SHARE)
        counts = [big, *_split(pledge_count - big, weights)]
        user = create_user(UserInput(email=BENCH_EMAIL, role=Role.COORDINATOR,
                                     language="en"), password=None)
        self.user_id = user.id
        index = 0
        for campaign, members in self.campaign_list:
            for k in range(1, DRIVES_PER_CAMPAIGN + 1):
                organiser = members[0] if k == 1 else rng.choice(members)
                currency = COUNTRIES[organiser.country][4]
                if index == 0:
                    currency = "RUB"
                elif rng.random() < 0.15:
                    currency = rng.choice(("EUR", "USD"))
                is_big = index == 0
                starts_on = today - timedelta(days=PLEDGE_DAYS if is_big
                                              else rng.randint(200, PLEDGE_DAYS))
                count = counts[index]
                typical = Decimal(str(PLEDGE_MEDIAN_USD * 1.6)) * self.per_usd[currency]
                goal = _significant(max(Decimal(1000), typical * max(count, 10)
                                        * Decimal(rng.randint(80, 200)) / 100), 2)
                slug = "bench-big-drive" if is_big else f"{campaign.slug}-drive-{k}"
                title = ("XRF testing in Chelyabinsk" if is_big
                         else f"{campaign.title_en}: drive {k}")
                drive = drives.create_drive(campaign, drives.DriveInput(
                    slug=slug, title_en=title, title_ru=f"Сбор {index + 1}",
                    organiser_org_id=organiser.id, goal=goal.quantize(Decimal(1)),
                    currency=currency, starts_on=starts_on,
                    ends_on=today + timedelta(days=rng.randint(10, 300)),
                    purpose_en="Synthetic drive for benchmarks.",
                    purpose_ru="Синтетический сбор для замеров.", is_public=True))
                drives.move_drive(drive, DriveStatus.LIVE)
                self.plans.append(_DrivePlan(drive.id, slug, currency, starts_on, count))
                self.report.drives += 1
                index += 1
        self.report.big_drive = self.plans[0].slug

    # --- pledges and payments -------------------------------------------------------------

    def pledges(self, pledge_count: int, progress: Callable[[int], Any]) -> None:
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            # A page cache big enough for the growing indexes (SQLite's default is 2 MB);
            # this connection's setting only.
            connection.exec_driver_sql("PRAGMA cache_size = -262144")
        pledge_table: Table = Pledge.__table__  # type: ignore[assignment]
        payment_table: Table = Payment.__table__  # type: ignore[assignment]
        events = _EventWriter(connection)
        pledge_id, payment_id = _next_id(pledge_table), _next_id(payment_table)
        convert = Converter(RateBook.load((*RATED, *UNRATED)))
        maker = _PledgeMaker(self.rng, self.today, convert, self.per_usd, self.user_id)
        pledges: list[dict[str, Any]] = []
        payments: list[dict[str, Any]] = []
        for plan, pledged_on in self._schedule():
            pledge, paid = maker.pledge(pledge_id, plan, pledged_on, payment_id)
            pledges.append(pledge)
            payments.extend(paid)
            pledge_id += 1
            payment_id += len(paid)
            if len(pledges) >= CHUNK:
                self._write(connection, events, pledge_table, payment_table, pledges, payments)
                progress(len(pledges))
                pledges, payments = [], []
        if pledges:
            self._write(connection, events, pledge_table, payment_table, pledges, payments)
            progress(len(pledges))
        _move_sequence(pledge_table)
        _move_sequence(payment_table)
        self.report.events += events.written
        # Fresh planner statistics, as autovacuum would gather them: without them the
        # roll-ups below (and the first pages) plan the new million rows badly.
        connection.execute(text("ANALYZE"))

    def _write(self, connection: Any, events: _EventWriter, pledge_table: Table,
               payment_table: Table, pledges: list[dict[str, Any]],
               payments: list[dict[str, Any]]) -> None:
        bulk_insert(connection, pledge_table, pledges)
        if payments:
            bulk_insert(connection, payment_table, payments)
        events.created(pledge_table, pledges)
        events.created(payment_table, payments)
        self.report.pledges += len(pledges)
        self.report.payments += len(payments)

    def _schedule(self) -> Iterator[tuple[_DrivePlan, date]]:
        """Every pledge's drive and date, oldest first (ids grow with time, as in life)."""
        rng, today = self.rng, self.today
        packed: list[int] = []
        for index, plan in enumerate(self.plans):
            first, last = plan.starts_on.toordinal(), today.toordinal()
            packed.extend(rng.randint(first, last) * 128 + index for _ in range(plan.count))
        packed.sort()
        for value in packed:
            yield self.plans[value % 128], date.fromordinal(value // 128)

    # --- roll-ups --------------------------------------------------------------------------

    def drive_totals(self) -> None:
        for plan in self.plans:
            drives.refresh_drive_totals(plan.id)

    def campaign_funding(self) -> None:
        try:
            from tracker.funding import services as funding  # type: ignore[attr-defined]
        except ImportError:
            return
        refresh = getattr(funding, "refresh_all_campaign_funding", None)
        if refresh is None:
            return
        refresh()
        self.report.funding_refreshed = True


def _next_id(table: Table) -> int:
    """The first id after the table's rows: bulk rows get their ids here, to refer to them."""
    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def _move_sequence(table: Table) -> None:
    """PostgreSQL: move the id sequence past ids that were given explicitly."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"))


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` shared in proportion to the weights, largest remainders first (sums exactly)."""
    whole = sum(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [math.floor(share) for share in shares]
    order = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in order[:total - sum(counts)]:
        counts[i] += 1
    return counts


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


def _at(day: date, rng: random.Random) -> datetime:
    """A moment during the working day (UTC), never later than now."""
    moment = datetime.combine(day, clock(7, 0), tzinfo=UTC) + timedelta(
        seconds=rng.randint(0, 13 * 3600))
    return min(moment, utcnow())


class _PledgeMaker:
    """One pledge row and its payments' rows, with every stored conversion and status."""

    def __init__(self, rng: random.Random, today: date, convert: Converter,
                 per_usd: dict[str, Decimal], user_id: int | None) -> None:
        self.rng, self.today, self.convert, self.user_id = rng, today, convert, user_id
        self.per_usd = {code: float(value) for code, value in per_usd.items()}

    def amount(self, currency: str) -> int:
        """A plausible amount in whole units of the currency (two significant digits).

        The float is only a random magnitude; the amount itself is an integer of minor units.
        """
        usd = min(5_000.0, max(2.0, self.rng.lognormvariate(math.log(PLEDGE_MEDIAN_USD),
                                                             PLEDGE_SPREAD)))
        whole = max(1, int(float(f"{usd * self.per_usd[currency]:.2g}")))
        return whole * 10 ** minor_units(currency)

    def pledge(self, pledge_id: int, plan: _DrivePlan, pledged_on: date, payment_id: int
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.0005:
            currency = rng.choice(UNRATED)
        elif roll < 0.75:
            currency = plan.currency
        else:
            currency = rng.choice(("USD", "EUR", "RUB", "KZT", "RUB", "EUR", "KGS", "UAH"))
        amount = self.amount(currency)
        anonymous = rng.random() < 0.15
        name = "" if anonymous else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        recent = (self.today - pledged_on).days < 14
        status, source, reason = PledgeStatus.PLEDGED, PledgeSource.STAFF, ""
        pays: list[tuple[int, str, date]] = []  # (minor, currency, paid on)
        roll = rng.random()
        if recent and roll < 0.05:
            status, source = PledgeStatus.UNCONFIRMED, PledgeSource.PUBLIC_FORM
        elif roll < 0.003:
            status, source = PledgeStatus.REJECTED, PledgeSource.PUBLIC_FORM
            reason = "Duplicate of an earlier pledge"
        elif roll < 0.023:
            status, reason = PledgeStatus.CANCELLED, "The pledger withdrew the pledge"
        elif roll < 0.043:
            status, reason = PledgeStatus.WRITTEN_OFF, "No answer after three reminders"
            if rng.random() < 0.4:
                pays.append(self._payment(amount // 2 or 1, currency, pledged_on))
        elif currency in UNRATED:
            pass  # waits for a rate: nobody chases a payment they cannot count
        elif roll < 0.453:
            pays += self._full(amount, currency, pledged_on)
        elif roll < 0.553:
            part = amount * rng.randint(20, 80) // 100 or 1
            pays.append(self._payment(part, currency, pledged_on))
        if source is PledgeSource.STAFF and rng.random() < 0.2:
            source = PledgeSource.IMPORT
        converted_pledge = self.convert(amount, currency, plan.currency, pledged_on)
        created_at = _at(pledged_on, rng)
        row: dict[str, Any] = {
            "id": pledge_id, "drive_id": plan.id, "pledger_name": name,
            "is_anonymous": anonymous,
            "contact_email": f"supporter{pledge_id}@example.org" if rng.random() < 0.4 else "",
            "amount_minor": amount, "currency": currency, "pledged_on": pledged_on,
            "status": status, "status_reason": reason,
            "channel": rng.choice(PLEDGE_CHANNELS),
            "external_reference": f"BENCH-{pledge_id}" if source is PledgeSource.IMPORT else None,
            "note": "", "message": "Good luck!" if source is PledgeSource.PUBLIC_FORM else "",
            "source": source,
            "logged_by_id": self.user_id if source is PledgeSource.STAFF else None,
            "paid_minor": 0, "drive_amount_minor": converted_pledge.minor,
            "drive_amount_currency": plan.currency, "drive_rate": converted_pledge.rate,
            "drive_rate_on": converted_pledge.rate_on, "unpaid_drive_minor": None,
            "version": 1, "created_at": created_at, "updated_at": created_at,
        }
        payments = []
        for offset, (minor, pay_currency, paid_on) in enumerate(pays):
            to_pledge = self.convert(minor, pay_currency, currency, paid_on)
            to_drive = self.convert(minor, pay_currency, plan.currency, paid_on)
            paid_at = max(_at(paid_on, rng), created_at)
            payments.append({
                "id": payment_id + offset, "pledge_id": pledge_id, "amount_minor": minor,
                "currency": pay_currency, "paid_on": paid_on,
                "method": rng.choice(PAYMENT_METHODS), "reference": "", "note": "",
                "logged_by_id": self.user_id,
                "pledge_amount_minor": to_pledge.minor, "pledge_amount_currency": currency,
                "pledge_rate": to_pledge.rate, "pledge_rate_on": to_pledge.rate_on,
                "drive_amount_minor": to_drive.minor, "drive_amount_currency": plan.currency,
                "drive_rate": to_drive.rate, "drive_rate_on": to_drive.rate_on,
                "created_at": paid_at, "updated_at": paid_at,
            })
            row["updated_at"] = max(row["updated_at"], paid_at)
        _settle(row, payments)
        return row, payments

    def _payment(self, minor: int, currency: str, after: date) -> tuple[int, str, date]:
        paid_on = min(self.today, after + timedelta(days=self.rng.randint(0, 45)))
        return minor, currency, paid_on

    def _full(self, amount: int, currency: str, pledged_on: date) -> list[tuple[int, str, date]]:
        """The whole pledge paid: at once, in two instalments, or in another currency."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            first = amount * rng.randint(30, 70) // 100 or 1
            one = self._payment(first, currency, pledged_on)
            two = self._payment(amount - first, currency, one[2]) if amount > first else None
            return [one] + ([two] if two else [])
        if roll < 0.25:
            other = rng.choice([code for code in ("USD", "EUR", "RUB") if code != currency])
            paid_on = min(self.today, pledged_on + timedelta(days=rng.randint(0, 45)))
            equivalent = self.convert(amount, currency, other, paid_on).minor
            if equivalent:  # someone pays the equivalent in another currency
                return [(equivalent, other, paid_on)]
        return [self._payment(amount, currency, pledged_on)]


def _settle(pledge: dict[str, Any], payments: list[dict[str, Any]]) -> None:
    """What drives.services._settle stores: paid amount, status, unpaid rest in the drive's."""
    view = SimpleNamespace(**pledge)
    view.paid_minor = sum(p["pledge_amount_minor"] or 0 for p in payments)
    unconverted = any(p["pledge_amount_minor"] is None for p in payments)
    if view.status in PAYMENT_DRIVEN:
        view.status = drives._status_from_payments(view)  # type: ignore[arg-type]
    pledge["paid_minor"] = view.paid_minor
    pledge["status"] = view.status
    pledge["unpaid_drive_minor"] = drives._unpaid_in_drive_currency(
        view, unconverted)  # type: ignore[arg-type]


class _EventWriter:
    """Audit events for rows written with Core, as the bulk-insert hook records them.

    The hook's own `_bulk_event` costs about 90 µs a row, too slow for a million rows;
    the fast path below builds the same event from the columns worked out once per
    table, and each chunk's first row is checked against `_bulk_event` so that the two
    cannot drift apart unnoticed.
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.actor_id, self.actor_label = current_actor(connection)
        self.written = 0
        self.now = utcnow()
        self._columns: dict[str, list[str]] = {}

    def created(self, table: Table, rows: list[dict[str, Any]]) -> None:
        spec = spec_for_type(table.name)
        if not rows or spec is None:
            return
        names = self._columns.get(table.name)
        if names is None:
            skip = set(NOISE_COLUMNS) | set(spec.exclude)
            skip |= {column.name for column in table.primary_key.columns}
            names = [column.name for column in table.columns if column.name not in skip]
            if any(spec.is_secret(name) for name in names):
                raise RuntimeError(f"{table.name} has secret columns: use _bulk_event")
            self._columns[table.name] = names
        parent = spec.parent_column
        parent_type = spec.parent_type
        events = []
        for row in rows:
            changes = {name: _plain(row[name]) for name in names}
            parent_id = row[parent] if parent else None
            events.append({
                "action": AuditAction.CREATE, "record_type": spec.record_type,
                "record_id": str(row["id"]),
                "parent_type": parent_type if parent_id is not None else None,
                "parent_id": str(parent_id) if parent_id is not None else None,
                "changes": changes, "context": None, "summary": spec.summarize(changes),
                "actor_id": self.actor_id, "actor_label": self.actor_label[:200],
                "occurred_at": row.get("created_at") or self.now,
            })
        reference = _bulk_event(spec, table, AuditAction.CREATE, rows[0], None, rows[0])
        if any(events[0][key] != value for key, value in reference.items()):
            raise RuntimeError(f"seed-bench's audit events of {table.name} differ from the "
                               f"hook's: {events[0]} != {reference}")
        bulk_insert(self.connection, AuditEvent.__table__, events)  # type: ignore[arg-type]
        self.written += len(events)


def _plain(value: Any) -> Any:
    """audit.hooks.jsonable, quicker for the few types a pledge or payment row holds."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is date:
        return value.isoformat()
    if kind is Decimal:
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return jsonable(value)
