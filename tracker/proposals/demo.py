"""Demo proposals: narrative, logframe and work plan of the XRF campaign's two applications.

From the EECCA meeting report: the Tajik NGO that owns the region's first XRF analyser
offered it to every NGO of the coalition, and the Chelyabinsk group planned to invite
it to test products and soil; the lead-in-paint campaign reported legislation in
progress in Tajikistan; NGOs help government agencies apply to the Special Programme.
The texts are written for the demo. An application that already has a narrative,
logframe or work plan keeps it: loading twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.applications.models import Application
from tracker.extensions import db
from tracker.orgs.services import find_organization
from tracker.proposals import services
from tracker.proposals.models import LogframeLevel, LogframeRow, SectionKind, WorkPlanActivity

UNDP_TITLE = "XRF testing of products and soil in the Southern Urals and Tajikistan"
SP_TITLE = "National capacity to control lead and mercury in products in Tajikistan"

K = SectionKind
L = LogframeLevel


@dataclass(frozen=True)
class DemoRow:
    level: LogframeLevel
    result: tuple[str, str]
    indicator: tuple[str, str]
    baseline: tuple[str, str]
    target: tuple[str, str]
    verification: tuple[str, str]
    assumptions: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class DemoActivity:
    title: tuple[str, str]
    start: int
    end: int
    responsible: str


@dataclass(frozen=True)
class DemoProposal:
    title_en: str
    sections: dict[SectionKind, tuple[str, str]]
    logframe: tuple[DemoRow, ...]
    activities: tuple[DemoActivity, ...]


UNDP = DemoProposal(
    UNDP_TITLE,
    {
        K.EXECUTIVE_SUMMARY: (
            "The only X-ray fluorescence (XRF) analyser owned by an NGO in Eastern Europe, the "
            "Caucasus and Central Asia belongs to the Foundation to Support Civil Initiatives "
            "in Dushanbe. This project takes it, with its two operators, to Chelyabinsk and "
            "back to Tajikistan to test soil near smelters and schoolyards, and the toys, "
            "dishes and paints sold in local shops, for **lead, mercury, cadmium and "
            "arsenic**.\n\n"
            "Over 18 months the partners will take about 500 readings, confirm the highest in "
            "an accredited laboratory, publish everything on an open map and present the "
            "results to the authorities of both countries with proposals for limits and "
            "clean-up. Residents of Chelyabinsk are already raising part of the cost through "
            "a crowdfunding drive: the project builds on their effort and on the coalition's "
            "regional strategy on chemical safety to 2030.",
            "Единственный в Восточной Европе, на Кавказе и в Центральной Азии "
            "рентгенофлуоресцентный (РФА) анализатор, принадлежащий НКО, есть у Фонда "
            "поддержки гражданских инициатив в Душанбе. Проект доставит его вместе с двумя "
            "операторами в Челябинск и обратно в Таджикистан, чтобы проверить почву у заводов "
            "и школьных дворов, а также игрушки, посуду и краски из местных магазинов на "
            "**свинец, ртуть, кадмий и мышьяк**.\n\n"
            "За 18 месяцев партнёры сделают около 500 измерений, подтвердят самые высокие в "
            "аккредитованной лаборатории, опубликуют все данные на открытой карте и "
            "представят результаты властям обеих стран вместе с предложениями о нормативах и "
            "очистке. Жители Челябинска уже собирают часть средств через краудфандинг: проект "
            "опирается на их усилия и на региональную стратегию коалиции по химической "
            "безопасности до 2030 года.",
        ),
        K.CONTEXT: (
            "Chelyabinsk is one of the most industrialised cities in Russia, with very high "
            "air pollution from metallurgy; residents are campaigning against yet another "
            "copper mine in the city's surroundings. In Tajikistan, paints with added lead "
            "are still sold while a legal limit is being drafted. In both countries, public "
            "data on heavy metals in soil and consumer products are scarce, and families "
            "cannot tell where their children are exposed.\n\n"
            "The project serves the aims of the chemicals and waste conventions and the "
            "countries' priorities under them:\n\n"
            "- the **Minamata Convention** on mercury (mercury-added products, emissions from "
            "metallurgy);\n"
            "- the **Stockholm Convention** on persistent organic pollutants (unintentional "
            "releases from smelting and open burning);\n"
            "- the **Basel** and **Rotterdam Conventions** (hazardous waste and trade in "
            "hazardous chemicals);\n"
            "- the EECCA NGO strategy on chemical safety to 2030, which calls for joint "
            "regional initiatives instead of competition for small projects.",
            "Челябинск — один из самых индустриальных городов России с очень высоким уровнем "
            "загрязнения воздуха металлургией; жители выступают против строительства ещё "
            "одного медного рудника в окрестностях города. В Таджикистане по-прежнему "
            "продаются краски с добавлением свинца, а законодательный норматив только "
            "готовится. В обеих странах открытых данных о тяжёлых металлах в почве и товарах "
            "мало, и семьи не знают, где их дети подвергаются воздействию.\n\n"
            "Проект служит целям конвенций по химическим веществам и отходам и национальным "
            "приоритетам в их рамках:\n\n"
            "- **Минаматская конвенция** о ртути (продукты с добавлением ртути, выбросы "
            "металлургии);\n"
            "- **Стокгольмская конвенция** о стойких органических загрязнителях "
            "(непреднамеренные выбросы при плавке и открытом сжигании);\n"
            "- **Базельская** и **Роттердамская конвенции** (опасные отходы и торговля "
            "опасными химическими веществами);\n"
            "- стратегия НКО региона ВЕКЦА по химической безопасности до 2030 года, которая "
            "призывает к совместным региональным инициативам вместо конкуренции за малые "
            "проекты.",
        ),
        K.OBJECTIVES: (
            "**Overall objective:** less exposure of children to lead and other heavy metals "
            "in the Southern Urals and Tajikistan.\n\n"
            "**Outcomes**\n\n"
            "1. Residents and authorities have independent, published data on heavy metals "
            "in soil and consumer products.\n"
            "2. Authorities in both countries take up the limits and clean-up measures that "
            "the NGOs propose.\n\n"
            "**Outputs and activities**\n\n"
            "- about 500 XRF readings of soil and products, 25 of them confirmed by ICP-MS;\n"
            "- an open data map and a public report in Russian and English;\n"
            "- ten neighbourhood air sensors run by residents;\n"
            "- two round tables with authorities and a policy brief on limits for lead in "
            "paint.",
            "**Общая цель:** снизить воздействие свинца и других тяжёлых металлов на детей на "
            "Южном Урале и в Таджикистане.\n\n"
            "**Ожидаемые результаты**\n\n"
            "1. У жителей и органов власти есть независимые открытые данные о тяжёлых "
            "металлах в почве и потребительских товарах.\n"
            "2. Органы власти обеих стран принимают предложенные НКО нормативы и меры по "
            "очистке.\n\n"
            "**Продукты и мероприятия**\n\n"
            "- около 500 РФА-измерений почвы и товаров, 25 из них подтверждены методом "
            "ИСП-МС;\n"
            "- открытая карта данных и публичный доклад на русском и английском языках;\n"
            "- десять датчиков качества воздуха, которые обслуживают жители;\n"
            "- два круглых стола с органами власти и аналитическая записка о нормативах "
            "содержания свинца в красках.",
        ),
        K.RISKS: (
            "| Risk | Likelihood | Mitigation |\n"
            "|---|---|---|\n"
            "| Customs hold the analyser at the border | Medium | Manufacturer's "
            "certificates and a temporary-import permit arranged in advance; a buffer week "
            "in the schedule |\n"
            "| Access to sampling sites refused | Medium | Sampling on public land; schoolyards "
            "only with the school's written consent |\n"
            "| Pressure on local activists | Low | Results published jointly by the regional "
            "coalition, not by individuals |\n"
            "| Exchange-rate swings | Medium | Budget in US dollars; local costs reviewed each "
            "quarter |",
            "| Риск | Вероятность | Меры |\n"
            "|---|---|---|\n"
            "| Таможня задерживает анализатор на границе | Средняя | Сертификаты производителя "
            "и разрешение на временный ввоз оформляются заранее; резервная неделя в графике |\n"
            "| Отказ в доступе к местам отбора проб | Средняя | Отбор на общественных "
            "территориях; школьные дворы — только с письменного согласия школы |\n"
            "| Давление на местных активистов | Низкая | Результаты публикует региональная "
            "коалиция, а не отдельные люди |\n"
            "| Колебания валютных курсов | Средняя | Бюджет в долларах США; местные расходы "
            "пересматриваются ежеквартально |",
        ),
        K.SUSTAINABILITY: (
            "The analyser stays with the Foundation to Support Civil Initiatives and remains "
            "available to every NGO of the coalition, as agreed at the regional meeting. The "
            "air sensors belong to the residents who host them; the open map keeps running on "
            "Eco-Accord's server after the project. The sampling protocol and the data are "
            "shared with universities in Chelyabinsk and Dushanbe so that the monitoring can "
            "be repeated in 2028.",
            "Анализатор остаётся у Фонда поддержки гражданских инициатив и, как "
            "договорились на региональной встрече, доступен всем НКО коалиции. Датчики "
            "воздуха принадлежат жителям, у которых они установлены; открытая карта "
            "продолжит работать на сервере «Эко-Согласия» после проекта. Протокол отбора "
            "проб и данные передаются университетам Челябинска и Душанбе, чтобы мониторинг "
            "можно было повторить в 2028 году.",
        ),
        K.MONITORING: (
            "The campaign coordinator in Chelyabinsk updates the logframe each quarter and "
            "reports to the partners' steering group. Readings are logged with coordinates, "
            "photographs and calibration checks; 10 % are repeated by the second operator. "
            "An interim report follows after nine months and a final report with an "
            "independent audit at the end.",
            "Координатор кампании в Челябинске ежеквартально обновляет логическую рамку и "
            "отчитывается перед руководящей группой партнёров. Измерения записываются с "
            "координатами, фотографиями и проверками калибровки; 10 % повторяет второй "
            "оператор. Промежуточный отчёт готовится через девять месяцев, итоговый — с "
            "независимым аудитом в конце проекта.",
        ),
        K.PARTNERS: (
            "- **Foundation to Support Civil Initiatives** (Dushanbe) applies on behalf of "
            "the partners, owns and operates the XRF analyser and leads the work in "
            "Tajikistan.\n"
            "- **For Nature** (Chelyabinsk) leads the campaign, organises sampling, the "
            "sensor network and the crowdfunding drive.\n"
            "- **Caspian Environmental Monitoring** (Atyrau) samples drinking water with the "
            "same protocol.\n"
            "- **Eco-Accord** (Moscow), the regional hub, publishes the data and links the "
            "project with IPEN's global campaigns.",
            "- **Фонд поддержки гражданских инициатив** (Душанбе) подаёт заявку от имени "
            "партнёров, владеет РФА-анализатором, обслуживает его и руководит работой в "
            "Таджикистане.\n"
            "- **«За природу»** (Челябинск) руководит кампанией, организует отбор проб, сеть "
            "датчиков и краудфандинг.\n"
            "- **«Каспийский экологический мониторинг»** (Атырау) отбирает пробы питьевой "
            "воды по тому же протоколу.\n"
            "- **«Эко-Согласие»** (Москва), региональный центр, публикует данные и связывает "
            "проект с глобальными кампаниями IPEN.",
        ),
        K.CAPACITY: (
            "The Foundation has run civil-society projects in Tajikistan for twenty years and "
            "operates the region's first NGO-owned XRF analyser with two trained operators. "
            "It has managed grants of up to USD 150,000 with clean audits, and took part in "
            "the regional lead-in-paint campaign.",
            "Фонд двадцать лет ведёт проекты гражданского общества в Таджикистане и "
            "обслуживает первый в регионе РФА-анализатор, принадлежащий НКО, силами двух "
            "обученных операторов. Он управлял грантами до 150 000 долларов США без "
            "замечаний аудиторов и участвовал в региональной кампании по свинцу в красках.",
        ),
        K.ANNEXES: (
            "1. Registration certificate of the Foundation to Support Civil Initiatives\n"
            "2. Audited financial statement for 2025\n"
            "3. Letters of support from For Nature, Caspian Environmental Monitoring and "
            "Eco-Accord\n"
            "4. Calibration certificate of the XRF analyser",
            "1. Свидетельство о регистрации Фонда поддержки гражданских инициатив\n"
            "2. Аудированная финансовая отчётность за 2025 год\n"
            "3. Письма поддержки от «За природу», «Каспийского экологического мониторинга» и "
            "«Эко-Согласия»\n"
            "4. Сертификат калибровки РФА-анализатора",
        ),
    },
    (
        DemoRow(L.OBJECTIVE,
                ("Less exposure of children to lead and other heavy metals",
                 "Снижение воздействия свинца и других тяжёлых металлов на детей"),
                ("Hot spots near schools and playgrounds with a clean-up plan",
                 "Загрязнённые участки у школ и детских площадок с планом очистки"),
                ("None", "Нет"), ("At least 5", "Не менее 5"),
                ("Decisions of the city and district authorities",
                 "Решения городских и районных властей"),
                ("Authorities remain open to NGO data",
                 "Власти готовы работать с данными НКО")),
        DemoRow(L.OUTCOME,
                ("Independent data on heavy metals are public",
                 "Независимые данные о тяжёлых металлах опубликованы"),
                ("Readings published on the open map", "Измерения на открытой карте"),
                ("0", "0"), ("500", "500"), ("Open map; public report", "Открытая карта; "
                                                                       "публичный доклад")),
        DemoRow(L.OUTCOME,
                ("Authorities take up limits for lead in paint",
                 "Органы власти принимают нормативы по свинцу в красках"),
                ("Draft limit of 90 ppm submitted", "Проект норматива 90 ppm внесён"),
                ("No draft", "Проекта нет"), ("Draft submitted in Tajikistan",
                                              "Проект внесён в Таджикистане"),
                ("Letters of the ministries", "Письма министерств")),
        DemoRow(L.OUTPUT,
                ("Soil and products tested with XRF", "Почва и товары проверены методом РФА"),
                ("Readings taken; samples confirmed by ICP-MS",
                 "Число измерений; проб, подтверждённых ИСП-МС"),
                ("0", "0"), ("500 readings; 25 samples", "500 измерений; 25 проб"),
                ("Field logs; laboratory certificates", "Полевые журналы; протоколы "
                                                        "лаборатории"),
                ("The analyser clears customs in time", "Анализатор вовремя проходит "
                                                        "таможню")),
        DemoRow(L.OUTPUT,
                ("Residents' air-sensor network", "Сеть датчиков воздуха у жителей"),
                ("Sensors reporting every day", "Датчики, ежедневно передающие данные"),
                ("0", "0"), ("10", "10"), ("Open map", "Открытая карта")),
    ),
    (
        DemoActivity(("Preparation: permits, sampling plan, customs papers",
                      "Подготовка: разрешения, план отбора проб, таможенные документы"),
                     1, 1, "fsci-tajikistan"),
        DemoActivity(("XRF mission to Chelyabinsk: soil and products",
                      "Миссия с РФА-анализатором в Челябинск: почва и товары"),
                     2, 2, "fsci-tajikistan"),
        DemoActivity(("Air-sensor network with residents",
                      "Сеть датчиков воздуха вместе с жителями"), 2, 6, "for-nature-chelyabinsk"),
        DemoActivity(("Laboratory confirmation and data analysis",
                      "Лабораторное подтверждение и анализ данных"), 3, 3,
                     "for-nature-chelyabinsk"),
        DemoActivity(("Testing in Dushanbe and Khujand", "Испытания в Душанбе и Худжанде"),
                     3, 4, "fsci-tajikistan"),
        DemoActivity(("Open map, report and press conference",
                      "Открытая карта, доклад и пресс-конференция"), 4, 5, "eco-accord"),
        DemoActivity(("Round tables with authorities and the policy brief",
                      "Круглые столы с властями и аналитическая записка"), 5, 6,
                     "for-nature-chelyabinsk"),
    ),
)

SPECIAL_PROGRAMME = DemoProposal(
    SP_TITLE,
    {
        K.EXECUTIVE_SUMMARY: (
            "The Committee for Environmental Protection will build Tajikistan's capacity to "
            "control lead and mercury in products: a legal limit for lead in paint, a market "
            "surveillance procedure that screens products with XRF, and trained inspectors "
            "and customs officers. Civil-society partners bring the region's only NGO-owned "
            "XRF analyser and the experience of the regional lead-in-paint campaign.",
            "Комитет по охране окружающей среды создаст в Таджикистане потенциал для контроля "
            "свинца и ртути в товарах: законодательный норматив содержания свинца в красках, "
            "порядок надзора за рынком с РФА-скринингом товаров и обученных инспекторов и "
            "таможенников. Партнёры из гражданского общества предоставляют единственный в "
            "регионе РФА-анализатор, принадлежащий НКО, и опыт региональной кампании по "
            "свинцу в красках.",
        ),
        K.CONTEXT: (
            "Paints with added lead and mercury-added products such as skin-lightening creams "
            "and thermometers are still sold in Tajikistan. A limit for lead in paint is being "
            "drafted, and inspectors have no equipment to screen products. The project "
            "supports the country's work under the **Minamata**, **Stockholm**, **Basel** and "
            "**Rotterdam** conventions and the national priorities for the sound management of "
            "chemicals and waste beyond 2020.",
            "В Таджикистане по-прежнему продаются краски с добавлением свинца и товары с "
            "добавлением ртути, например отбеливающие кремы и термометры. Норматив содержания "
            "свинца в красках разрабатывается, а у инспекторов нет оборудования для проверки "
            "товаров. Проект поддерживает работу страны в рамках **Минаматской**, "
            "**Стокгольмской**, **Базельской** и **Роттердамской** конвенций и национальные "
            "приоритеты рационального регулирования химических веществ и отходов после "
            "2020 года.",
        ),
        K.OBJECTIVES: (
            "**Objective:** the Government of Tajikistan controls lead and mercury in "
            "products on its market.\n\n"
            "1. A limit of 90 ppm for lead in paint is adopted.\n"
            "2. Inspectors screen products with XRF under an approved procedure.\n"
            "3. Importers and shops know the rules.",
            "**Цель:** Правительство Таджикистана контролирует свинец и ртуть в товарах на "
            "своём рынке.\n\n"
            "1. Принят норматив 90 ppm для свинца в красках.\n"
            "2. Инспекторы проверяют товары методом РФА по утверждённому порядку.\n"
            "3. Импортёры и магазины знают правила.",
        ),
        K.RISKS: (
            "- *Adoption of the limit is delayed* — the draft is prepared with the ministries "
            "from the start, and a fallback technical regulation is ready.\n"
            "- *Trained staff leave* — training materials are built into the Committee's own "
            "courses.",
            "- *Принятие норматива затягивается* — проект готовится вместе с министерствами с "
            "самого начала; запасной вариант — технический регламент.\n"
            "- *Обученные сотрудники уходят* — учебные материалы включаются в собственные "
            "курсы Комитета.",
        ),
        K.SUSTAINABILITY: (
            "The procedure and the training become part of the Committee's regular work; the "
            "NGO partners keep offering their analyser for inspections.",
            "Порядок надзора и обучение становятся частью постоянной работы Комитета; "
            "партнёры-НКО продолжают предоставлять анализатор для проверок.",
        ),
        K.MONITORING: (
            "A steering committee of the ministries and NGOs meets each quarter. Reports go to "
            "the Special Programme's secretariat every six months, with a final report and "
            "audit.",
            "Руководящий комитет министерств и НКО собирается ежеквартально. Отчёты "
            "направляются в секретариат Специальной программы раз в полгода, итоговый отчёт — "
            "с аудитом.",
        ),
        K.PARTNERS: (
            "The Committee for Environmental Protection applies and leads. The Foundation to "
            "Support Civil Initiatives supports it with the XRF analyser and field testing; "
            "Eco-Accord shares the regional experience with lead-in-paint laws.",
            "Комитет по охране окружающей среды подаёт заявку и руководит проектом. Фонд "
            "поддержки гражданских инициатив поддерживает его РФА-анализатором и полевыми "
            "испытаниями; «Эко-Согласие» делится региональным опытом законодательства о "
            "свинце в красках.",
        ),
        K.CAPACITY: (
            "The Committee is the national focal point for the chemicals and waste "
            "conventions and has run projects with UNDP and UNIDO.",
            "Комитет — национальный координационный центр по конвенциям о химических "
            "веществах и отходах; он реализовывал проекты с ПРООН и ЮНИДО.",
        ),
        K.ANNEXES: (
            "1. Endorsement letter of the Government\n2. The Special Programme's budget form",
            "1. Письмо-одобрение Правительства\n2. Бюджетная форма Специальной программы",
        ),
    },
    (
        DemoRow(L.OBJECTIVE,
                ("Lead and mercury in products are controlled",
                 "Свинец и ртуть в товарах под контролем"),
                ("Inspections with XRF per year", "Проверок с РФА в год"),
                ("0", "0"), ("40", "40"), ("Committee's annual report",
                                           "Годовой отчёт Комитета")),
        DemoRow(L.OUTCOME,
                ("A limit for lead in paint is adopted", "Норматив по свинцу в красках принят"),
                ("Limit in force", "Норматив вступил в силу"), ("None", "Нет"),
                ("90 ppm", "90 ppm"), ("Official gazette", "Официальный бюллетень"),
                ("Government keeps its priority", "Правительство сохраняет приоритет")),
        DemoRow(L.OUTPUT,
                ("Inspectors and customs officers trained",
                 "Инспекторы и таможенники обучены"),
                ("People trained", "Число обученных"), ("0", "0"), ("30", "30"),
                ("Attendance lists; tests", "Списки участников; тесты")),
    ),
    (
        DemoActivity(("Draft the limit with the ministries",
                      "Подготовка норматива вместе с министерствами"), 1, 3, "cep-tajikistan"),
        DemoActivity(("Market survey of paints and creams with XRF",
                      "Обследование рынка красок и кремов с РФА"), 2, 3, "fsci-tajikistan"),
        DemoActivity(("Training of inspectors and customs officers",
                      "Обучение инспекторов и таможенников"), 4, 5, "cep-tajikistan"),
        DemoActivity(("Information campaign for importers and shops",
                      "Информационная кампания для импортёров и магазинов"), 5, 7,
                     "fsci-tajikistan"),
    ),
)

PROPOSALS = (UNDP, SPECIAL_PROGRAMME)


def _count(model: type, application: Application) -> int:
    return db.session.scalar(select(func.count()).select_from(model)
                             .where(model.application_id == application.id)) or 0


def _load(item: DemoProposal) -> bool:
    application = db.session.scalar(select(Application).where(
        Application.title_en == item.title_en))
    if application is None:
        return False
    added = False
    if not services.sections_of(application):
        services.save_sections(application, item.sections)
        added = True
    if not _count(LogframeRow, application):
        for row in item.logframe:
            texts = {}
            for name in ("result", "indicator", "baseline", "target", "verification",
                         "assumptions"):
                texts[f"{name}_en"], texts[f"{name}_ru"] = getattr(row, name)
            services.add_logframe_row(application, services.LogframeInput(row.level, texts))
        added = True
    if not _count(WorkPlanActivity, application):
        for activity in item.activities:
            org = find_organization(activity.responsible)
            services.add_activity(application, services.ActivityInput(
                activity.start, activity.end, *activity.title,
                responsible_org_id=org.id if org else None))
        added = True
    return added


def load_proposal_demo() -> int:
    """Fill in the XRF applications' proposals where missing; how many got something."""
    return sum(_load(item) for item in PROPOSALS)
