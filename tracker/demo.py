"""Demo data: the coalition of the EECCA regional meeting report, its campaigns and budgets.

Eco-Accord, Independent Ecological Expertise and the donors are real organisations;
the other member NGOs are stand-ins with plausible names, and every budget, amount
and exchange rate is made up (rates are marked "Demo data (approximate)").
Everything goes through the services and is looked up by its natural key first,
so loading twice adds nothing and a partial load is completed.

The demo accounts, one per role, share one published password: the development
configuration's DEMO_PASSWORD, which no other configuration has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from tracker.applications.demo import load_application_demo
from tracker.auth.models import Role, User
from tracker.auth.services import UserInput, create_user, find_user_by_email
from tracker.campaigns.models import Campaign, CampaignStatus, PartnerRole, Theme
from tracker.campaigns.services import CampaignInput, PartnerInput, create_campaign, find_campaign
from tracker.extensions import db
from tracker.money.services import add_rate, find_rate
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import OrganizationInput, create_organization, find_organization
from tracker.targets.models import BudgetCategory, BudgetLine, BudgetUnit, FundingTarget
from tracker.targets.services import BudgetLineInput, TargetInput, add_line, create_target

RATE_SOURCE = "Demo data (approximate)"
OVERHEAD_PERCENT = Decimal(7)

ORGANIZATIONS: tuple[OrganizationInput, ...] = (
    OrganizationInput("eco-accord", "Eco-Accord", "Эко-Согласие", "RU", OrgKind.HUB,
                      city_en="Moscow", city_ru="Москва", website="https://www.ecoaccord.org"),
    OrganizationInput("independent-ecological-expertise", "Independent Ecological Expertise",
                      "Независимая экологическая экспертиза", "KG", OrgKind.NGO,
                      city_en="Bishkek", city_ru="Бишкек"),
    OrganizationInput("issyk-kul-women", "Issyk-Kul Women's Environmental Network",
                      "Иссык-Кульская женская экологическая сеть", "KG", OrgKind.NGO,
                      city_en="Karakol", city_ru="Каракол"),
    OrganizationInput("women-healthy-environment-am",
                      "Women for a Healthy Environment (Armenia)",
                      "Женщины за здоровую окружающую среду (Армения)", "AM", OrgKind.NGO,
                      city_en="Yerevan", city_ru="Ереван"),
    OrganizationInput("clean-neman", "Clean Neman", "Чистый Неман", "BY", OrgKind.NGO,
                      city_en="Grodno", city_ru="Гродно"),
    OrganizationInput("steppe-ecology-centre", "Steppe Ecology Centre",
                      "Экологический центр «Степь»", "KZ", OrgKind.NGO,
                      city_en="Karaganda", city_ru="Караганда"),
    OrganizationInput("caspian-monitoring", "Caspian Environmental Monitoring",
                      "Каспийский экологический мониторинг", "KZ", OrgKind.NGO,
                      city_en="Atyrau", city_ru="Атырау"),
    OrganizationInput("chemical-safety-moldova", "Centre for Chemical Safety of Moldova",
                      "Центр химической безопасности Молдовы", "MD", OrgKind.NGO,
                      city_en="Chișinău", city_ru="Кишинёв"),
    OrganizationInput("for-nature-chelyabinsk", "For Nature", "За природу", "RU", OrgKind.NGO,
                      city_en="Chelyabinsk", city_ru="Челябинск"),
    OrganizationInput("fsci-tajikistan", "Foundation to Support Civil Initiatives",
                      "Фонд поддержки гражданских инициатив", "TJ", OrgKind.NGO,
                      city_en="Dushanbe", city_ru="Душанбе"),
    OrganizationInput("environment-health-ukraine", "Environment and Health Ukraine",
                      "Окружающая среда и здоровье, Украина", "UA", OrgKind.NGO,
                      city_en="Kyiv", city_ru="Киев"),
    OrganizationInput("undp", "United Nations Development Programme (UNDP)",
                      "Программа развития ООН (ПРООН)", "US", OrgKind.INTERGOVERNMENTAL,
                      city_en="New York", city_ru="Нью-Йорк", website="https://www.undp.org"),
    OrganizationInput("unido", "United Nations Industrial Development Organization (UNIDO)",
                      "Организация Объединённых Наций по промышленному развитию (ЮНИДО)", "AT",
                      OrgKind.INTERGOVERNMENTAL, city_en="Vienna", city_ru="Вена",
                      website="https://www.unido.org"),
    OrganizationInput("unep-special-programme", "UNEP Special Programme on Chemicals and Waste",
                      "Специальная программа ЮНЕП по химическим веществам и отходам", "CH",
                      OrgKind.DONOR, city_en="Geneva", city_ru="Женева",
                      website="https://www.unep.org"),
    OrganizationInput("gef", "Global Environment Facility (GEF)",
                      "Глобальный экологический фонд (ГЭФ)", "US", OrgKind.DONOR,
                      city_en="Washington", city_ru="Вашингтон", website="https://www.thegef.org"),
    OrganizationInput("sida", "Swedish International Development Cooperation Agency (Sida)",
                      "Шведское агентство международного сотрудничества в целях развития (Sida)",
                      "SE", OrgKind.GOVERNMENT, city_en="Stockholm", city_ru="Стокгольм",
                      website="https://www.sida.se"),
    # The Special Programme funds governments: the agency the Tajik NGOs support applies.
    OrganizationInput(
        "cep-tajikistan",
        "Committee for Environmental Protection under the Government of the Republic of "
        "Tajikistan",
        "Комитет по охране окружающей среды при Правительстве Республики Таджикистан",
        "TJ", OrgKind.GOVERNMENT, city_en="Dushanbe", city_ru="Душанбе",
    ),
)


@dataclass(frozen=True)
class DemoCampaign:
    """A campaign with its participants named by organisation slug."""

    slug: str
    title_en: str
    title_ru: str
    summary_en: str
    summary_ru: str
    theme: Theme
    status: CampaignStatus
    starts_on: date
    ends_on: date
    lead: str
    partners: tuple[tuple[str, PartnerRole], ...]
    countries: tuple[str, ...]


CAMPAIGNS: tuple[DemoCampaign, ...] = (
    DemoCampaign(
        slug="women-and-chemicals",
        title_en="Women and chemicals",
        title_ru="Женщины и химические вещества",
        summary_en=(
            "Women in the region are exposed to hazardous chemicals at work, at home and "
            "through consumer products, often without the information to protect themselves "
            "and their children. The campaign documents exposure among farm workers, cleaners "
            "and young mothers in four countries and presses for gender-responsive "
            "chemical-safety policies. It links local women's groups with health professionals "
            "and national chemicals focal points."
        ),
        summary_ru=(
            "Женщины в регионе подвергаются воздействию опасных химических веществ на работе, "
            "дома и через потребительские товары, часто не имея сведений, чтобы защитить себя "
            "и своих детей. Кампания документирует воздействие на сельскохозяйственных "
            "работниц, уборщиц и молодых матерей в четырёх странах и добивается учёта "
            "гендерных аспектов в политике химической безопасности. Она объединяет местные "
            "женские группы, медиков и национальных координаторов по химическим веществам."
        ),
        theme=Theme.WOMEN_AND_CHEMICALS,
        status=CampaignStatus.PLANNED,
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 12, 31),
        lead="women-healthy-environment-am",
        partners=(
            ("issyk-kul-women", PartnerRole.CO_LEAD),
            ("steppe-ecology-centre", PartnerRole.PARTNER),
            ("clean-neman", PartnerRole.PARTNER),
            ("eco-accord", PartnerRole.ADVISOR),
        ),
        countries=("AM", "BY", "KG", "KZ"),
    ),
    DemoCampaign(
        slug="hhp-glyphosate",
        title_en="Highly hazardous pesticides, including a glyphosate ban",
        title_ru="Высокоопасные пестициды, включая запрет глифосата",
        summary_en=(
            "Highly hazardous pesticides are still sold and stored across the region, and "
            "obsolete stockpiles leak into soil and water. Partners survey pesticide use and "
            "village shops in rural districts, test soil near former storage sites and back "
            "the draft regional resolution calling for a glyphosate ban. The results go to "
            "ministries of agriculture and environment with concrete phase-out proposals."
        ),
        summary_ru=(
            "Высокоопасные пестициды по-прежнему продаются и хранятся по всему региону, а "
            "устаревшие запасы попадают в почву и воду. Партнёры изучают применение "
            "пестицидов и ассортимент сельских магазинов, проверяют почву у бывших складов и "
            "поддерживают проект региональной резолюции о запрете глифосата. Результаты "
            "передаются министерствам сельского хозяйства и окружающей среды вместе с "
            "конкретными предложениями по выводу пестицидов из оборота."
        ),
        theme=Theme.HHP,
        status=CampaignStatus.PLANNED,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
        lead="steppe-ecology-centre",
        partners=(
            ("independent-ecological-expertise", PartnerRole.CO_LEAD),
            ("chemical-safety-moldova", PartnerRole.PARTNER),
            ("environment-health-ukraine", PartnerRole.PARTNER),
            ("eco-accord", PartnerRole.ADVISOR),
        ),
        countries=("KG", "KZ", "MD", "UA"),
    ),
    DemoCampaign(
        slug="water-and-air-quality",
        title_en="Water and air quality: reducing the risk of pollution",
        title_ru="Качество воды и воздуха: снижение риска загрязнения",
        summary_en=(
            "Industrial cities such as Chelyabinsk and the oil and gas districts on the "
            "Caspian live with some of the worst air and water pollution in the region. Local "
            "groups run public monitoring of air, drinking water and soil, including an XRF "
            "soil and product survey in Chelyabinsk with the Tajik partners' analyser, the "
            "only one in the region, and publish the data openly. The evidence backs "
            "residents' demands to the authorities and to new industrial projects."
        ),
        summary_ru=(
            "Промышленные города, такие как Челябинск, и нефтегазовые районы Прикаспия живут "
            "с одним из самых высоких уровней загрязнения воздуха и воды в регионе. Местные "
            "группы ведут общественный мониторинг воздуха, питьевой воды и почвы, в том числе "
            "обследование почвы и товаров в Челябинске с помощью рентгенофлуоресцентного "
            "анализатора таджикских партнёров, единственного в регионе, и открыто публикуют "
            "данные. Эти доказательства подкрепляют требования жителей к властям и к новым "
            "промышленным проектам."
        ),
        theme=Theme.WATER_AIR,
        status=CampaignStatus.ACTIVE,
        starts_on=date(2026, 9, 1),
        ends_on=date(2028, 8, 31),
        lead="for-nature-chelyabinsk",
        partners=(
            ("fsci-tajikistan", PartnerRole.CO_LEAD),
            ("caspian-monitoring", PartnerRole.PARTNER),
            ("eco-accord", PartnerRole.PARTNER),
        ),
        countries=("KZ", "RU", "TJ"),
    ),
    DemoCampaign(
        slug="safe-waste-management",
        title_en="Safe waste management: low POPs, plastics and e-waste",
        title_ru="Безопасное обращение с отходами: низкое содержание СОЗ, пластик и "
                 "электронные отходы",
        summary_en=(
            "Open burning of waste and informal dismantling of electronics release dioxins, "
            "brominated flame retardants and heavy metals across Central Asia. Focusing on "
            "Kazakhstan, Kyrgyzstan and Tajikistan, partners sample eggs and soil near "
            "dumpsites, map e-waste flows and propose low-POPs content limits and extended "
            "producer responsibility. The work builds on the network's draft resolutions on "
            "e-waste and plastic waste."
        ),
        summary_ru=(
            "Открытое сжигание отходов и кустарная разборка электроники приводят к выбросам "
            "диоксинов, бромированных антипиренов и тяжёлых металлов по всей Центральной "
            "Азии. В Казахстане, Кыргызстане и Таджикистане партнёры отбирают пробы яиц и "
            "почвы у свалок, картируют потоки электронных отходов и предлагают пределы низкого "
            "содержания СОЗ и расширенную ответственность производителей. Работа опирается на "
            "проекты резолюций сети по электронным и пластиковым отходам."
        ),
        theme=Theme.WASTE,
        status=CampaignStatus.ACTIVE,
        starts_on=date(2026, 1, 1),
        ends_on=date(2028, 12, 31),
        lead="independent-ecological-expertise",
        partners=(
            ("steppe-ecology-centre", PartnerRole.CO_LEAD),
            ("fsci-tajikistan", PartnerRole.PARTNER),
            ("eco-accord", PartnerRole.ADVISOR),
        ),
        countries=("KG", "KZ", "TJ"),
    ),
    DemoCampaign(
        slug="mercury-free",
        title_en="Mercury-free EECCA",
        title_ru="ВЕКЦА без ртути",
        summary_en=(
            "Mercury from broken lamps, thermometers, dental amalgam and old pesticide stocks "
            "still ends up in household waste. With Moldova as the focus country, partners "
            "monitor mercury in fish, hair samples and waste sites and help the authorities "
            "meet the Minamata Convention's phase-out dates. Lessons and tools are shared with "
            "NGOs in Armenia and Ukraine."
        ),
        summary_ru=(
            "Ртуть из разбитых ламп, термометров, зубных амальгам и старых запасов пестицидов "
            "по-прежнему попадает в бытовые отходы. В Молдове, стране фокуса, партнёры ведут "
            "мониторинг ртути в рыбе, пробах волос и на местах размещения отходов и помогают "
            "властям уложиться в сроки поэтапного отказа по Минаматской конвенции. Опыт и "
            "инструменты передаются НПО Армении и Украины."
        ),
        theme=Theme.MERCURY,
        status=CampaignStatus.ACTIVE,
        starts_on=date(2026, 3, 1),
        ends_on=date(2027, 12, 31),
        lead="chemical-safety-moldova",
        partners=(
            ("eco-accord", PartnerRole.CO_LEAD),
            ("women-healthy-environment-am", PartnerRole.ASSOCIATE),
            ("environment-health-ukraine", PartnerRole.ASSOCIATE),
        ),
        countries=("MD",),
    ),
    DemoCampaign(
        slug="lead-in-paint",
        title_en="Lead in paint",
        title_ru="Свинец в красках",
        summary_en=(
            "Decorative paints with a high lead content are still on sale in parts of the "
            "region, and children are the most exposed. Partners screen paints bought in shops "
            "with the region's only XRF analyser, confirm the results in a laboratory and "
            "support legislation setting a 90 ppm limit, with Ukraine and Tajikistan as focus "
            "countries. Manufacturers who reformulate are recognised publicly."
        ),
        summary_ru=(
            "Декоративные краски с высоким содержанием свинца всё ещё продаются в ряде стран "
            "региона, и больше всего от этого страдают дети. Партнёры проверяют купленные в "
            "магазинах краски единственным в регионе рентгенофлуоресцентным анализатором, "
            "подтверждают результаты в лаборатории и поддерживают закон о пределе 90 ppm; "
            "страны фокуса — Украина и Таджикистан. Производители, перешедшие на бессвинцовые "
            "рецептуры, получают публичное признание."
        ),
        theme=Theme.LEAD_PAINT,
        status=CampaignStatus.ACTIVE,
        starts_on=date(2025, 6, 1),
        ends_on=date(2027, 12, 31),
        lead="environment-health-ukraine",
        partners=(
            ("fsci-tajikistan", PartnerRole.CO_LEAD),
            ("eco-accord", PartnerRole.PARTNER),
        ),
        countries=("TJ", "UA"),
    ),
    DemoCampaign(
        slug="phthalates-in-toys",
        title_en="Chemicals in products: phthalates in toys",
        title_ru="Химические вещества в продукции: фталаты в игрушках",
        summary_en=(
            "Toys sold in Russia, Belarus and Armenia have been found to contain phthalates "
            "above the EU limits. Following the regional toy campaign of 2011–2012, partners "
            "buy and test toys, compare the results with new data from other regions and "
            "campaign for the draft resolution on a ban of phthalates in toys. Parents get "
            "simple advice on choosing safer products."
        ),
        summary_ru=(
            "В игрушках, продающихся в России, Беларуси и Армении, обнаружены фталаты сверх "
            "норм ЕС. Продолжая региональную кампанию по игрушкам 2011–2012 годов, партнёры "
            "закупают и исследуют игрушки, сравнивают результаты с новыми данными из других "
            "регионов и добиваются принятия резолюции о запрете фталатов в игрушках. Родители "
            "получают простые советы по выбору более безопасных товаров."
        ),
        theme=Theme.CHEMICALS_IN_PRODUCTS,
        status=CampaignStatus.PLANNED,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
        lead="eco-accord",
        partners=(
            ("clean-neman", PartnerRole.CO_LEAD),
            ("women-healthy-environment-am", PartnerRole.PARTNER),
        ),
        countries=("AM", "BY", "RU"),
    ),
)


@dataclass(frozen=True)
class DemoLine:
    """A budget line: quantity × unit cost, spent by the partner with this slug.

    What it pays for and why are given in English and in Russian; the English
    description is the line's natural key when the seed runs again.
    """

    category: BudgetCategory
    description_en: str
    description_ru: str
    partner: str
    quantity: str
    unit: BudgetUnit
    unit_cost: str
    justification_en: str
    justification_ru: str


@dataclass(frozen=True)
class DemoTarget:
    """A funding target of a campaign; `overhead` names who receives the 7 % overhead line."""

    campaign: str
    title_en: str
    title_ru: str
    starts_on: date
    ends_on: date
    currency: str
    lines: tuple[DemoLine, ...]
    overhead: str


# Short names keep the budget tables below readable within the line length.
Cat = BudgetCategory
Unit = BudgetUnit

TARGETS: tuple[DemoTarget, ...] = (
    DemoTarget(
        "women-and-chemicals", "Regional programme 2027–2028", "Региональная программа 2027–2028",
        date(2027, 1, 1), date(2028, 12, 31), "EUR",
        (
            DemoLine(Cat.STAFF, "Regional coordinator (50 %)",
                     "Региональный координатор (50 % занятости)",
                     "women-healthy-environment-am", "24", Unit.MONTH, "1400",
                     "Coordinates the four national teams, donor reporting and the joint report.",
                     "Координирует работу четырёх национальных команд, отчётность перед донорами "
                     "и подготовку общего доклада."),
            DemoLine(Cat.STAFF, "National campaign officer, Kyrgyzstan",
                     "Национальный координатор кампании, Кыргызстан",
                     "issyk-kul-women", "24", Unit.MONTH, "650",
                     "Runs interviews and sampling with women's groups around Issyk-Kul.",
                     "Проводит интервью и отбор проб вместе с женскими группами в районе "
                     "Иссык-Куля."),
            DemoLine(Cat.STAFF, "National campaign officer, Kazakhstan",
                     "Национальный координатор кампании, Казахстан",
                     "steppe-ecology-centre", "24", Unit.MONTH, "800",
                     "Works with cleaners' and farm workers' groups in Karaganda region.",
                     "Работает с группами уборщиц и сельскохозяйственных работниц в "
                     "Карагандинской области."),
            DemoLine(Cat.STAFF, "National campaign officer, Belarus",
                     "Национальный координатор кампании, Беларусь",
                     "clean-neman", "24", Unit.MONTH, "750",
                     "Covers Grodno and Minsk; liaises with maternity clinics.",
                     "Работает в Гродно и Минске, поддерживает связь с родильными домами."),
            DemoLine(Cat.LAB_TESTING, "Mercury and lead in hair and blood of 120 women",
                     "Ртуть и свинец в волосах и крови 120 женщин",
                     "women-healthy-environment-am", "120", Unit.SAMPLE, "85",
                     "Accredited laboratory; 30 volunteers in each of the four countries.",
                     "Аккредитованная лаборатория; по 30 добровольниц в каждой из четырёх стран."),
            DemoLine(Cat.MEETINGS, "Regional workshop at Lake Issyk-Kul (3 days)",
                     "Региональный семинар на озере Иссык-Куль (3 дня)",
                     "issyk-kul-women", "25", Unit.PARTICIPANT, "420",
                     "Venue, board and interpretation; agrees the joint policy demands.",
                     "Аренда зала, проживание с питанием и устный перевод; участники согласуют "
                     "общие требования к политике."),
            DemoLine(Cat.TRAVEL, "Travel of national teams to the regional workshop",
                     "Проезд национальных команд на региональный семинар",
                     "women-healthy-environment-am", "12", Unit.TRIP, "480",
                     "Three people from each of four countries, economy fares.",
                     "По три человека из каждой из четырёх стран, билеты эконом-класса."),
            DemoLine(Cat.PUBLICATIONS, "Bilingual report “Women and chemicals in EECCA”",
                     "Двуязычный доклад «Женщины и химические вещества в ВЕКЦА»",
                     "eco-accord", "1", Unit.LUMP_SUM, "6500",
                     "Editing, translation, design and 1,000 printed copies.",
                     "Редактура, перевод, вёрстка и печать тиража в 1000 экземпляров."),
        ),
        overhead="women-healthy-environment-am",
    ),
    DemoTarget(
        "hhp-glyphosate", "Pesticide survey and advocacy 2027",
        "Обследование и продвижение запрета пестицидов, 2027",
        date(2027, 1, 1), date(2027, 12, 31), "USD",
        (
            DemoLine(Cat.STAFF, "Project manager, Karaganda",
                     "Руководитель проекта, Караганда",
                     "steppe-ecology-centre", "12", Unit.MONTH, "1100",
                     "Leads the survey design and the regional advocacy plan.",
                     "Руководит разработкой обследования и региональным планом адвокации."),
            DemoLine(Cat.MONITORING, "Survey of pesticide shops and farms in six rural districts",
                     "Обследование магазинов пестицидов и хозяйств в шести сельских районах",
                     "independent-ecological-expertise", "6", Unit.SURVEY, "1250",
                     "Field teams, transport and questionnaires in Chui and Issyk-Kul regions.",
                     "Полевые группы, транспорт и анкетирование в Чуйской и Иссык-Кульской "
                     "областях."),
            DemoLine(Cat.LAB_TESTING, "Organochlorine pesticides in soil near former storage sites",
                     "Хлорорганические пестициды в почве возле бывших складов",
                     "steppe-ecology-centre", "40", Unit.SAMPLE, "140",
                     "Accredited laboratory in Almaty; 10 sites, 4 samples each.",
                     "Аккредитованная лаборатория в Алматы; 10 участков, по 4 пробы с каждого."),
            DemoLine(Cat.LAB_TESTING, "Glyphosate residues in food samples",
                     "Остатки глифосата в пробах продуктов питания",
                     "chemical-safety-moldova", "30", Unit.SAMPLE, "95",
                     "Grain, honey and vegetables from local markets.",
                     "Зерно, мёд и овощи с местных рынков."),
            DemoLine(Cat.CONSULTANTS, "Legal analysis of pesticide registration rules",
                     "Правовой анализ правил регистрации пестицидов",
                     "environment-health-ukraine", "20", Unit.PERSON_DAY, "180",
                     "Compares national rules with the EU approach and the FAO/WHO Code.",
                     "Сравнение национальных правил с подходом ЕС и Кодексом ФАО/ВОЗ."),
            DemoLine(Cat.MEETINGS, "Round tables with the ministry of agriculture, Kyrgyzstan",
                     "Круглые столы с министерством сельского хозяйства, Кыргызстан",
                     "independent-ecological-expertise", "2", Unit.EVENT, "1500",
                     "Presents the survey and the draft resolution to officials and farmers.",
                     "Представление итогов обследования и проекта постановления чиновникам и "
                     "фермерам."),
            DemoLine(Cat.MEETINGS, "Round table with the ministry of agriculture, Ukraine",
                     "Круглый стол с министерством сельского хозяйства, Украина",
                     "environment-health-ukraine", "1", Unit.EVENT, "1500",
                     "Presents the legal analysis and phase-out proposals.",
                     "Представление правового анализа и предложений о поэтапном отказе."),
            DemoLine(Cat.PUBLICATIONS, "Policy brief on a glyphosate ban (Russian and English)",
                     "Аналитическая записка о запрете глифосата (на русском и английском)",
                     "eco-accord", "1", Unit.LUMP_SUM, "2400",
                     "Writing, translation and layout.",
                     "Подготовка текста, перевод и вёрстка."),
        ),
        overhead="steppe-ecology-centre",
    ),
    DemoTarget(
        "water-and-air-quality", "XRF mission and public monitoring 2027",
        "Миссия с РФА-анализатором и общественный мониторинг, 2027",
        date(2027, 1, 1), date(2027, 12, 31), "USD",
        (
            DemoLine(Cat.TRAVEL, "Return trips Dushanbe–Chelyabinsk for two XRF operators",
                     "Поездки Душанбе – Челябинск и обратно для двух операторов РФА-анализатора",
                     "fsci-tajikistan", "2", Unit.TRIP, "720",
                     "The region's only XRF analyser travels with its operators.",
                     "Единственный в регионе РФА-анализатор едет вместе со своими операторами."),
            DemoLine(Cat.TRAVEL, "Per diems of the XRF team in Chelyabinsk",
                     "Суточные команды РФА-анализа в Челябинске",
                     "fsci-tajikistan", "28", Unit.PER_DIEM, "55",
                     "Two operators for 14 days of field work.",
                     "Два оператора на 14 дней полевых работ."),
            DemoLine(Cat.LAB_TESTING, "XRF testing of soil and consumer products in Chelyabinsk",
                     "РФА-анализ почвы и потребительских товаров в Челябинске",
                     "fsci-tajikistan", "14", Unit.DAY, "120",
                     "Analyser time, calibration standards and data processing; about 250 "
                     "readings.",
                     "Работа анализатора, калибровочные стандарты и обработка данных; около 250 "
                     "измерений."),
            DemoLine(Cat.LAB_TESTING, "Laboratory confirmation (ICP-MS) of selected samples",
                     "Лабораторное подтверждение (ИСП-МС) отобранных проб",
                     "for-nature-chelyabinsk", "25", Unit.SAMPLE, "95",
                     "Confirms the XRF readings above the soil limits for lead and arsenic.",
                     "Подтверждает результаты РФА, превышающие нормативы содержания свинца и "
                     "мышьяка в почве."),
            DemoLine(Cat.EQUIPMENT, "Low-cost PM2.5 air sensors for ten neighbourhoods",
                     "Недорогие датчики PM2,5 для десяти районов города",
                     "for-nature-chelyabinsk", "10", Unit.ITEM, "260",
                     "Installed by residents; data published on the open map.",
                     "Датчики устанавливают жители; данные публикуются на открытой карте."),
            DemoLine(Cat.MONITORING, "Drinking-water sampling in Atyrau region",
                     "Отбор проб питьевой воды в Атырауской области",
                     "caspian-monitoring", "40", Unit.SAMPLE, "45",
                     "Quarterly sampling at ten village wells.",
                     "Ежеквартальный отбор проб из десяти сельских колодцев."),
            DemoLine(Cat.STAFF, "Campaign coordinator, Chelyabinsk",
                     "Координатор кампании, Челябинск",
                     "for-nature-chelyabinsk", "12", Unit.MONTH, "900",
                     "Runs the monitoring network and the crowdfunding drive.",
                     "Руководит сетью мониторинга и краудфандинговой кампанией."),
            DemoLine(Cat.COMMUNICATIONS, "Open data portal and press conference",
                     "Портал открытых данных и пресс-конференция",
                     "eco-accord", "1", Unit.PACKAGE, "2200",
                     "Hosting, data visualisation and the launch event in Moscow.",
                     "Хостинг, визуализация данных и презентация в Москве."),
        ),
        overhead="for-nature-chelyabinsk",
    ),
    DemoTarget(
        "water-and-air-quality", "Follow-up monitoring 2028", "Повторный мониторинг, 2028",
        date(2028, 1, 1), date(2028, 8, 31), "USD",
        (
            DemoLine(Cat.STAFF, "Campaign coordinator, Chelyabinsk",
                     "Координатор кампании, Челябинск",
                     "for-nature-chelyabinsk", "8", Unit.MONTH, "950",
                     "Keeps the monitoring network running until the report.",
                     "Поддерживает работу сети мониторинга до выхода отчёта."),
            DemoLine(Cat.LAB_TESTING, "Repeat XRF soil survey at 60 points",
                     "Повторное РФА-обследование почвы в 60 точках",
                     "fsci-tajikistan", "60", Unit.ANALYSIS, "18",
                     "Shows whether the hot spots found in 2027 were cleaned up.",
                     "Покажет, очищены ли загрязнённые участки, выявленные в 2027 году."),
            DemoLine(Cat.TRAVEL, "XRF team travel to Chelyabinsk",
                     "Проезд команды РФА-анализа в Челябинск",
                     "fsci-tajikistan", "2", Unit.TRIP, "750",
                     "Two operators with the analyser.",
                     "Два оператора с анализатором."),
            DemoLine(Cat.MONITORING, "Maintenance of the air sensor network",
                     "Обслуживание сети датчиков качества воздуха",
                     "for-nature-chelyabinsk", "8", Unit.MONTH, "120",
                     "Replacement sensors, SIM cards and data hosting.",
                     "Замена датчиков, SIM-карты и хранение данных."),
            DemoLine(Cat.PUBLICATIONS, "Report on two years of public monitoring",
                     "Отчёт о двух годах общественного мониторинга",
                     "eco-accord", "1", Unit.LUMP_SUM, "3000",
                     "Russian and English editions for the authorities and donors.",
                     "Издания на русском и английском языках для органов власти и доноров."),
        ),
        overhead="for-nature-chelyabinsk",
    ),
    DemoTarget(
        "safe-waste-management", "Central Asia waste and e-waste programme 2027–2028",
        "Программа по отходам и электронным отходам в Центральной Азии, 2027–2028",
        date(2027, 1, 1), date(2028, 12, 31), "USD",
        (
            DemoLine(Cat.STAFF, "Programme coordinator, Bishkek",
                     "Координатор программы, Бишкек",
                     "independent-ecological-expertise", "24", Unit.MONTH, "1000",
                     "Coordinates three countries and the joint report.",
                     "Координирует работу в трёх странах и подготовку общего отчёта."),
            DemoLine(Cat.STAFF, "National officer, Kazakhstan",
                     "Национальный координатор, Казахстан",
                     "steppe-ecology-centre", "24", Unit.MONTH, "850",
                     "Sampling, e-waste mapping and dialogue with recyclers.",
                     "Отбор проб, картирование электронных отходов и диалог с переработчиками."),
            DemoLine(Cat.STAFF, "National officer, Tajikistan",
                     "Национальный координатор, Таджикистан",
                     "fsci-tajikistan", "24", Unit.MONTH, "600",
                     "Sampling and XRF screening in Dushanbe and Khujand.",
                     "Отбор проб и РФА-скрининг в Душанбе и Худжанде."),
            DemoLine(Cat.LAB_TESTING, "Dioxins and PBDEs in free-range eggs near dumpsites",
                     "Диоксины и ПБДЭ в яйцах кур свободного выгула возле свалок",
                     "independent-ecological-expertise", "18", Unit.SAMPLE, "650",
                     "Pooled egg samples analysed by an accredited EU laboratory.",
                     "Сборные пробы яиц анализирует аккредитованная лаборатория в ЕС."),
            DemoLine(Cat.LAB_TESTING, "XRF screening of e-waste plastics for bromine and lead",
                     "РФА-скрининг пластика из электронных отходов на бром и свинец",
                     "fsci-tajikistan", "300", Unit.SAMPLE, "12",
                     "Identifies plastics that must not be recycled into toys or kitchenware.",
                     "Выявляет пластик, который нельзя перерабатывать в игрушки и кухонную "
                     "утварь."),
            DemoLine(Cat.MONITORING, "Mapping of e-waste collection and informal dismantling",
                     "Картирование сбора и неформальной разборки электронных отходов",
                     "steppe-ecology-centre", "1", Unit.SURVEY, "4800",
                     "Interviews, site visits and a public map for Almaty and Karaganda.",
                     "Интервью, выезды на места и общедоступная карта по Алматы и Караганде."),
            DemoLine(Cat.MEETINGS, "National dialogues with ministries and recyclers",
                     "Национальные диалоги с министерствами и переработчиками",
                     "independent-ecological-expertise", "6", Unit.EVENT, "1200",
                     "Two per country; agrees next steps on extended producer responsibility.",
                     "По два в каждой стране; согласование дальнейших шагов по расширенной "
                     "ответственности производителей."),
            DemoLine(Cat.TRAVEL, "Travel between Almaty, Bishkek and Dushanbe",
                     "Поездки между Алматы, Бишкеком и Душанбе",
                     "independent-ecological-expertise", "16", Unit.TRIP, "350",
                     "Partner visits for sampling and the national dialogues.",
                     "Поездки партнёров для отбора проб и участия в национальных диалогах."),
            DemoLine(Cat.PUBLICATIONS, "Regional report on low-POPs content limits (RU/EN)",
                     "Региональный доклад о предельных уровнях низкого содержания СОЗ (рус./англ.)",
                     "eco-accord", "1", Unit.LUMP_SUM, "4500",
                     "Writing, translation, design and printing.",
                     "Подготовка текста, перевод, вёрстка и печать."),
        ),
        overhead="independent-ecological-expertise",
    ),
    DemoTarget(
        "mercury-free", "Mercury monitoring in Moldova 2027", "Мониторинг ртути в Молдове, 2027",
        date(2027, 1, 1), date(2027, 12, 31), "EUR",
        (
            DemoLine(Cat.STAFF, "Project manager, Chișinău",
                     "Руководитель проекта, Кишинёв",
                     "chemical-safety-moldova", "12", Unit.MONTH, "1050",
                     "Runs the monitoring and the work with the ministry.",
                     "Руководит мониторингом и работой с министерством."),
            DemoLine(Cat.LAB_TESTING, "Mercury in hair of 200 women of childbearing age",
                     "Ртуть в волосах 200 женщин детородного возраста",
                     "chemical-safety-moldova", "200", Unit.SAMPLE, "28",
                     "Shows exposure from fish and from mercury-containing products.",
                     "Показывает воздействие ртути из рыбы и ртутьсодержащих товаров."),
            DemoLine(Cat.LAB_TESTING, "Mercury in fish from the Dniester and the Prut",
                     "Ртуть в рыбе из Днестра и Прута",
                     "chemical-safety-moldova", "60", Unit.SAMPLE, "40",
                     "Species that families catch and eat most.",
                     "Виды рыбы, которые семьи чаще всего ловят и едят."),
            DemoLine(Cat.CONSULTANTS, "Technical support on the Minamata phase-out plan",
                     "Техническая поддержка плана поэтапного отказа от ртути по Минаматской "
                     "конвенции",
                     "eco-accord", "15", Unit.PERSON_DAY, "250",
                     "Drafts comments on the national implementation plan.",
                     "Подготовка замечаний к национальному плану выполнения."),
            DemoLine(Cat.TRAVEL, "Travel of Armenian partners to the exchange visit",
                     "Проезд армянских партнёров на обмен опытом",
                     "women-healthy-environment-am", "2", Unit.TRIP, "450",
                     "Learning the sampling methods to repeat them in Armenia.",
                     "Обучение методам отбора проб, чтобы повторить исследование в Армении."),
            DemoLine(Cat.TRAVEL, "Travel of Ukrainian partners to the exchange visit",
                     "Проезд украинских партнёров на обмен опытом",
                     "environment-health-ukraine", "2", Unit.TRIP, "300",
                     "Learning the sampling methods to repeat them in Ukraine.",
                     "Обучение методам отбора проб, чтобы повторить исследование в Украине."),
            DemoLine(Cat.PUBLICATIONS,
                     "Guide on the safe collection of mercury lamps (Romanian, Russian)",
                     "Руководство по безопасному сбору ртутных ламп (на румынском и русском)",
                     "chemical-safety-moldova", "1", Unit.LUMP_SUM, "2300",
                     "For municipalities and housing associations; 2,000 copies.",
                     "Для органов местного самоуправления и товариществ собственников жилья; "
                     "тираж 2000 экземпляров."),
        ),
        overhead="chemical-safety-moldova",
    ),
    DemoTarget(
        "lead-in-paint", "Paint testing and legislation 2027",
        "Исследование красок и законодательство, 2027",
        date(2027, 1, 1), date(2027, 12, 31), "USD",
        (
            DemoLine(Cat.STAFF, "Campaign coordinator, Kyiv",
                     "Координатор кампании, Киев",
                     "environment-health-ukraine", "12", Unit.MONTH, "1200",
                     "Leads the legislative work and the regional coalition.",
                     "Руководит законодательной работой и региональной коалицией."),
            DemoLine(Cat.STAFF, "Campaign officer, Dushanbe",
                     "Специалист кампании, Душанбе",
                     "fsci-tajikistan", "12", Unit.MONTH, "550",
                     "Buys paints, runs the XRF screening and meets manufacturers.",
                     "Закупает краски, проводит РФА-скрининг и встречается с производителями."),
            DemoLine(Cat.LAB_TESTING, "XRF screening of decorative paints",
                     "РФА-скрининг декоративных красок",
                     "fsci-tajikistan", "150", Unit.SAMPLE, "10",
                     "Paints from shops and markets in both focus countries.",
                     "Краски из магазинов и с рынков обеих стран кампании."),
            DemoLine(Cat.LAB_TESTING, "Laboratory confirmation (AAS) of paint samples",
                     "Лабораторное подтверждение (ААС) проб красок",
                     "environment-health-ukraine", "60", Unit.SAMPLE, "45",
                     "All samples above 90 ppm and a control set below it.",
                     "Все пробы с содержанием свинца выше 90 ppm и контрольная выборка ниже этого "
                     "уровня."),
            DemoLine(Cat.CONSULTANTS, "Legal drafting of a 90 ppm lead limit",
                     "Разработка норматива содержания свинца 90 ppm",
                     "environment-health-ukraine", "20", Unit.PERSON_DAY, "200",
                     "Draft technical regulation and explanatory note.",
                     "Проект технического регламента и пояснительная записка."),
            DemoLine(Cat.MEETINGS, "Dialogue with paint manufacturers",
                     "Диалог с производителями красок",
                     "fsci-tajikistan", "2", Unit.EVENT, "900",
                     "Shows reformulation options and recognises lead-free brands.",
                     "Представление вариантов замены рецептуры и поощрение марок красок без "
                     "свинца."),
            DemoLine(Cat.COMMUNICATIONS, "International Lead Poisoning Prevention Week actions",
                     "Акции Международной недели профилактики отравлений свинцом",
                     "eco-accord", "1", Unit.PACKAGE, "1500",
                     "Media work and social-media materials in Russian.",
                     "Работа со СМИ и материалы для социальных сетей на русском языке."),
        ),
        overhead="environment-health-ukraine",
    ),
    DemoTarget(
        "phthalates-in-toys", "Toy testing campaign 2027", "Исследование игрушек, 2027",
        date(2027, 1, 1), date(2027, 12, 31), "EUR",
        (
            DemoLine(Cat.STAFF, "Campaign coordinator, Moscow",
                     "Координатор кампании, Москва",
                     "eco-accord", "12", Unit.MONTH, "1300",
                     "Coordinates buying, testing and the joint report.",
                     "Координирует закупку, испытания и подготовку общего отчёта."),
            DemoLine(Cat.LAB_TESTING, "Purchase of toy samples in three countries",
                     "Закупка образцов игрушек в трёх странах",
                     "eco-accord", "90", Unit.SAMPLE, "12",
                     "Thirty soft-plastic toys from each country's shops and markets.",
                     "По тридцать игрушек из мягкого пластика из магазинов и с рынков каждой "
                     "страны."),
            DemoLine(Cat.LAB_TESTING, "Phthalate analysis (GC-MS) of toys bought in Russia",
                     "Анализ на фталаты (ГХ-МС) игрушек, купленных в России",
                     "eco-accord", "40", Unit.SAMPLE, "120",
                     "Accredited laboratory; DEHP, DBP, BBP and DINP.",
                     "Аккредитованная лаборатория; ДЭГФ, ДБФ, ББФ и ДИНФ."),
            DemoLine(Cat.LAB_TESTING, "Phthalate analysis of toys bought in Belarus",
                     "Анализ на фталаты игрушек, купленных в Беларуси",
                     "clean-neman", "25", Unit.SAMPLE, "120",
                     "Same laboratory and method for comparable results.",
                     "Та же лаборатория и тот же метод, чтобы результаты были сопоставимы."),
            DemoLine(Cat.LAB_TESTING, "Phthalate analysis of toys bought in Armenia",
                     "Анализ на фталаты игрушек, купленных в Армении",
                     "women-healthy-environment-am", "25", Unit.SAMPLE, "120",
                     "Same laboratory and method for comparable results.",
                     "Та же лаборатория и тот же метод, чтобы результаты были сопоставимы."),
            DemoLine(Cat.COMMUNICATIONS, "Parents' guide and social-media campaign",
                     "Памятка для родителей и кампания в социальных сетях",
                     "clean-neman", "1", Unit.PACKAGE, "2800",
                     "Short videos and a printable guide in Russian.",
                     "Короткие видеоролики и памятка для печати на русском языке."),
            DemoLine(Cat.PUBLICATIONS, "Regional toy report (RU/EN)",
                     "Региональный доклад об игрушках (рус./англ.)",
                     "eco-accord", "1", Unit.LUMP_SUM, "3500",
                     "Results, comparison with other regions and policy demands.",
                     "Результаты, сравнение с другими регионами и требования к политике."),
            DemoLine(Cat.AUDIT, "Project audit",
                     "Аудит проекта",
                     "eco-accord", "1", Unit.LUMP_SUM, "1800",
                     "Independent audit required by most donors.",
                     "Независимый аудит, которого требует большинство доноров."),
        ),
        overhead="eco-accord",
    ),
)

RATE_DATES = (date(2026, 1, 5), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1))

# Units of each currency per US dollar on RATE_DATES (EUR is quoted the usual way,
# US dollars per euro).
USD_RATES: dict[str, tuple[str, str, str, str]] = {
    "RUB": ("79.85", "82.40", "84.10", "86.30"),
    "KZT": ("505.20", "512.70", "518.40", "524.90"),
    "KGS": ("87.45", "87.40", "87.38", "87.35"),
    "TJS": ("9.42", "9.35", "9.28", "9.30"),
    "UAH": ("42.05", "42.30", "42.60", "42.85"),
    "MDL": ("16.95", "17.10", "17.20", "17.05"),
    "AMD": ("383.50", "381.20", "385.70", "384.10"),
    "BYN": ("2.9850", "3.0120", "3.0450", "3.0600"),
    "GEL": ("2.6950", "2.7100", "2.7050", "2.6900"),
    "AZN": ("1.7000", "1.7000", "1.7000", "1.7000"),
    "UZS": ("12650", "12720", "12810", "12890"),
}
EUR_USD: tuple[str, str, str, str] = ("1.1720", "1.1580", "1.1650", "1.1700")


@dataclass(frozen=True)
class DemoUser:
    """A demo account: its role, organisation (slug), language and the campaigns it leads."""

    email: str
    role: Role
    org: str
    language: str
    campaigns: tuple[str, ...] = ()


# The campaign of the Chelyabinsk XRF drive: led by For Nature (Chelyabinsk).
XRF_CAMPAIGN = "water-and-air-quality"

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin@demo.tracker", Role.ADMIN, "eco-accord", "en"),
    DemoUser("coordinator@demo.tracker", Role.COORDINATOR, "eco-accord", "ru"),
    DemoUser("fundraiser@demo.tracker", Role.FUNDRAISER, "independent-ecological-expertise",
             "en"),
    DemoUser("lead@demo.tracker", Role.LEAD, "for-nature-chelyabinsk", "ru",
             campaigns=(XRF_CAMPAIGN,)),
    DemoUser("viewer@demo.tracker", Role.VIEWER, "clean-neman", "en"),
)


@dataclass
class SeedReport:
    """How many records of each kind a load created."""

    organisations: int = 0
    campaigns: int = 0
    targets: int = 0
    lines: int = 0
    rates: int = 0
    calls: int = 0
    applications: int = 0
    drives: int = 0
    pledges: int = 0
    users: int = 0

    @property
    def created_anything(self) -> bool:
        return any((self.organisations, self.campaigns, self.targets, self.lines, self.rates,
                    self.calls, self.applications, self.drives, self.pledges, self.users))


def overhead_line(target: DemoTarget) -> DemoLine:
    """The target's overhead line: OVERHEAD_PERCENT of its direct costs, rounded to cents."""
    direct = sum(Decimal(line.quantity) * Decimal(line.unit_cost) for line in target.lines)
    amount = (direct * OVERHEAD_PERCENT / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return DemoLine(
        BudgetCategory.OVERHEAD, f"Administrative costs ({OVERHEAD_PERCENT} % of direct costs)",
        f"Административные расходы ({OVERHEAD_PERCENT} % прямых расходов)",
        target.overhead, "1", Unit.LUMP_SUM, str(amount),
        "Office rent, accounting and bank charges of the organisation that holds the grant.",
        "Аренда офиса, бухгалтерия и банковские комиссии организации, получающей грант.",
    )


def all_lines(target: DemoTarget) -> tuple[DemoLine, ...]:
    """The target's lines with its overhead line last."""
    return (*target.lines, overhead_line(target))


def database_is_empty() -> bool:
    """True while no organisation or campaign has been recorded."""
    return (db.session.scalar(select(Organization.id).limit(1)) is None
            and db.session.scalar(select(Campaign.id).limit(1)) is None)


def _org_id(slug: str) -> int:
    org = find_organization(slug)
    if org is None:
        raise LookupError(f"demo organisation {slug!r} is missing")
    return org.id


def _load_organizations(report: SeedReport) -> None:
    for data in ORGANIZATIONS:
        if find_organization(data.slug) is None:
            create_organization(data)
            report.organisations += 1


def _load_campaigns(report: SeedReport) -> None:
    for item in CAMPAIGNS:
        if find_campaign(item.slug) is not None:
            continue
        create_campaign(CampaignInput(
            slug=item.slug, title_en=item.title_en, title_ru=item.title_ru,
            summary_en=item.summary_en, summary_ru=item.summary_ru, theme=item.theme,
            status=item.status, starts_on=item.starts_on, ends_on=item.ends_on,
            lead_org_id=_org_id(item.lead),
            partners=tuple(PartnerInput(_org_id(slug), role) for slug, role in item.partners),
            countries=item.countries,
        ))
        report.campaigns += 1


def _load_targets(report: SeedReport) -> None:
    for item in TARGETS:
        campaign = find_campaign(item.campaign)
        if campaign is None:
            raise LookupError(f"demo campaign {item.campaign!r} is missing")
        target = db.session.scalar(select(FundingTarget).where(
            FundingTarget.campaign_id == campaign.id, FundingTarget.title_en == item.title_en
        ))
        if target is None:
            target = create_target(campaign, TargetInput(
                starts_on=item.starts_on, ends_on=item.ends_on, currency=item.currency,
                title_en=item.title_en, title_ru=item.title_ru,
            ))
            report.targets += 1
        existing = set(db.session.scalars(
            select(BudgetLine.description_en).where(BudgetLine.target_id == target.id)
        ))
        for line in all_lines(item):
            if line.description_en in existing:
                continue
            add_line(target, BudgetLineInput(
                category=line.category,
                description_en=line.description_en, description_ru=line.description_ru,
                quantity=Decimal(line.quantity), unit_cost=Decimal(line.unit_cost),
                unit=line.unit, partner_org_id=_org_id(line.partner),
                justification_en=line.justification_en, justification_ru=line.justification_ru,
            ))
            report.lines += 1


def _load_rates(report: SeedReport) -> None:
    pairs = [("EUR", "USD", EUR_USD)]
    pairs += [("USD", quote, values) for quote, values in USD_RATES.items()]
    for base, quote, values in pairs:
        for on_date, value in zip(RATE_DATES, values, strict=True):
            if find_rate(base, quote, on_date) is None:
                add_rate(on_date, base, quote, Decimal(value), RATE_SOURCE)
                report.rates += 1


def accounts_exist() -> bool:
    """True once any user account has been recorded."""
    return db.session.scalar(select(User.id).limit(1)) is not None


def load_demo_users(password: str, report: SeedReport) -> None:
    """Create the demo accounts that are missing, all with `password`; the caller commits.

    An account that exists is left as it is (its password too). An organisation or
    campaign missing from the database (demo data not loaded) is left out of the account.
    """
    for item in DEMO_USERS:
        if find_user_by_email(item.email) is not None:
            continue
        org = find_organization(item.org)
        campaigns = [find_campaign(slug) for slug in item.campaigns]
        create_user(UserInput(
            email=item.email, role=item.role, organization_id=org.id if org else None,
            campaign_ids=tuple(c.id for c in campaigns if c is not None),
            language=item.language,
        ), password)
        report.users += 1


def load_demo() -> SeedReport:
    """Create whatever part of the demo coalition is missing; the caller commits."""
    report = SeedReport()
    _load_organizations(report)
    _load_campaigns(report)
    _load_targets(report)
    _load_rates(report)
    applications = load_application_demo(report)
    report.calls, report.applications = applications.calls, applications.applications
    from tracker.drives.demo import load_drive_demo  # here: it reads this module's rates

    drives = load_drive_demo(report)
    report.drives, report.pledges = drives.drives, drives.pledges
    from tracker.proposals.demo import load_proposal_demo  # the narratives of two applications

    load_proposal_demo()
    return report
