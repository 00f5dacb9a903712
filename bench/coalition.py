"""The synthetic coalition's organisations, campaigns and funding targets, and the state
every step of the generator shares (`Coalition`).

These few records go through the services, as a person would create them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tracker.campaigns.models import Campaign, CampaignStatus, PartnerRole, Theme
from tracker.campaigns.services import CampaignInput, PartnerInput, create_campaign
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import OrganizationInput, create_organization
from tracker.targets.models import BudgetCategory, BudgetUnit
from tracker.targets.services import BudgetLineInput, TargetInput, add_line, create_target

BENCH_EMAIL = "bench@bench.tracker"
CAMPAIGNS = 20
PLEDGE_DAYS = 730  # pledges are dated over the last two years
# What a typical pledge is worth, in US dollars (median of a log-normal spread).
PLEDGE_MEDIAN_USD = 30.0

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


@dataclass
class BenchReport:
    """What the generator created, and how long each step took."""

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
    big_drive: str = ""
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class DrivePlan:
    """A drive as the pledge step needs it, and how many pledges it gets."""

    id: int
    slug: str
    currency: str
    starts_on: date
    count: int


@dataclass
class Coalition:
    """What the generator's steps have made so far, and the random generator they share.

    The steps draw from one generator in a fixed order, so a seed builds one coalition.
    """

    rng: random.Random
    today: date
    report: BenchReport
    ngos: list[Organization] = field(default_factory=list)
    governments: dict[str, Organization] = field(default_factory=dict)
    donors: list[tuple[Organization, str]] = field(default_factory=list)
    campaigns: list[tuple[Campaign, list[Organization]]] = field(default_factory=list)
    plans: list[DrivePlan] = field(default_factory=list)
    campaign_count: int = CAMPAIGNS
    per_usd: dict[str, Decimal] = field(default_factory=dict)
    user_id: int | None = None


def add_organisations(world: Coalition) -> None:
    """The hub, three NGOs and a ministry per country, and the donors."""
    _org(world, "bench-hub", "Regional Chemical Safety Hub",
         "Региональный центр химической безопасности", "RU", OrgKind.HUB)
    for code, (name_en, name_ru, city_en, city_ru, _currency) in COUNTRIES.items():
        for n, (word_en, word_ru) in enumerate(NGO_WORDS[:3], start=1):
            world.ngos.append(_org(
                world, f"bench-{code.lower()}-ngo-{n}", f"{word_en} {name_en} {n}",
                f"{word_ru} {name_ru} {n}", code, OrgKind.NGO, city_en, city_ru))
        world.governments[code] = _org(
            world, f"bench-{code.lower()}-ministry", f"Ministry of Environment of {name_en}",
            f"Министерство экологии ({name_ru})", code, OrgKind.GOVERNMENT, city_en, city_ru)
    for slug, name_en, name_ru, country, kind, currency in DONORS:
        world.donors.append((_org(world, f"bench-{slug}", name_en, name_ru, country, kind),
                             currency))


def _org(world: Coalition, slug: str, name_en: str, name_ru: str, country: str,
         kind: OrgKind, city_en: str = "", city_ru: str = "") -> Organization:
    world.report.organisations += 1
    return create_organization(OrganizationInput(slug, name_en, name_ru, country, kind,
                                                 city_en=city_en, city_ru=city_ru))


def add_campaigns(world: Coalition) -> None:
    """The world's campaigns (20 unless asked), each with a lead, two to four partners and a
    funding target."""
    rng, today = world.rng, world.today
    for n in range(1, world.campaign_count + 1):
        theme = THEMES[(n - 1) % len(THEMES)]
        lead = world.ngos[(n - 1) * 7 % len(world.ngos)]
        others = [org for org in world.ngos if org.country != lead.country]
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
            starts_on=today - timedelta(days=PLEDGE_DAYS + 30),
            ends_on=today + timedelta(days=365),
            partners=[PartnerInput(org.id, role) for org, role in zip(partners, roles,
                                                                      strict=True)],
            countries=countries,
        ))
        world.report.campaigns += 1
        world.campaigns.append((campaign, [lead, *partners]))
        _target(world, campaign, [lead, *partners], TARGET_CURRENCIES[n % 3])


def _target(world: Coalition, campaign: Campaign, members: list[Organization],
            currency: str) -> None:
    rng = world.rng
    target = create_target(campaign, TargetInput(
        starts_on=campaign.starts_on or world.today, ends_on=campaign.ends_on or world.today,
        currency=currency, title_en="Regional budget", title_ru="Региональный бюджет"))
    world.report.targets += 1
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
        world.report.lines += 1
