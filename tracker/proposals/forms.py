"""Forms of the proposals area: the narrative, logframe rows, activities, printing a final."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from tracker.applications.models import Application
from tracker.i18n import LANGUAGE_NAMES, LANGUAGES
from tracker.orgs.forms import strip
from tracker.proposals.models import (
    MAX_QUARTERS,
    LogframeLevel,
    LogframeRow,
    ProposalSection,
    SectionKind,
    WorkPlanActivity,
)
from tracker.proposals.registry import template_choices, template_for
from tracker.proposals.services import (
    LOGFRAME_TEXTS,
    MAX_FIELD_LENGTH,
    MAX_REASON_LENGTH,
    MAX_SECTION_LENGTH,
    MAX_TITLE_LENGTH,
    ActivityInput,
    LogframeInput,
    responsible_candidates,
)


class NarrativeForm(FlaskForm):
    """Every narrative section in English and Russian, side by side (fields added below)."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST

    @classmethod
    def for_sections(cls, sections: dict[SectionKind, ProposalSection]) -> NarrativeForm:
        """The form filled from the stored sections (on POST, the submitted text wins)."""
        data = {}
        for kind in SectionKind:
            section = sections.get(kind)
            for language in LANGUAGES:
                data[f"{kind.value}_{language}"] = getattr(section, f"body_{language}") \
                    if section else ""
        return cls(data=data)

    def pairs(self) -> list[tuple[SectionKind, Any, Any]]:
        """(kind, English field, Russian field) for each section, in order."""
        return [(kind, self[f"{kind.value}_en"], self[f"{kind.value}_ru"])
                for kind in SectionKind]

    def texts(self) -> dict[SectionKind, tuple[str, str]]:
        return {kind: (en.data or "", ru.data or "") for kind, en, ru in self.pairs()}


for _kind in SectionKind:
    for _language in LANGUAGES:
        setattr(NarrativeForm, f"{_kind.value}_{_language}", TextAreaField(
            _kind.labels()[_kind], filters=[strip],
            validators=[Length(max=MAX_SECTION_LENGTH,
                               message=_l("Keep this under %(max)d characters."))],
            render_kw={"rows": 8, "lang": _language, "data-preview": "1"},
        ))


class LogframeForm(FlaskForm):
    """A logframe row: its level and each of its texts in both languages (fields added below)."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST

    level = SelectField(_l("Level"), invalid_choice_message=_l("Choose a level from the list."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.level.choices = LogframeLevel.choices()

    @classmethod
    def for_row(cls, row: LogframeRow) -> LogframeForm:
        data = {f"{name}_{language}": getattr(row, f"{name}_{language}")
                for name in LOGFRAME_TEXTS for language in LANGUAGES}
        return cls(data={"level": row.level.value, **data})

    def to_input(self) -> LogframeInput:
        texts = {f"{name}_{language}": self[f"{name}_{language}"].data or ""
                 for name in LOGFRAME_TEXTS for language in LANGUAGES}
        return LogframeInput(level=LogframeLevel(self.level.data), texts=texts)

    def rows(self) -> list[tuple[Any, Any]]:
        """(English field, Russian field) for each text of the row."""
        return [(self[f"{name}_en"], self[f"{name}_ru"]) for name in LOGFRAME_TEXTS]


LOGFRAME_LABELS = {
    "result": (_l("Result in English"), _l("Result in Russian")),
    "indicator": (_l("Indicator in English"), _l("Indicator in Russian")),
    "baseline": (_l("Baseline in English"), _l("Baseline in Russian")),
    "target": (_l("Target in English"), _l("Target in Russian")),
    "verification": (_l("Means of verification in English"),
                     _l("Means of verification in Russian")),
    "assumptions": (_l("Assumptions in English"), _l("Assumptions in Russian")),
}
for _name in LOGFRAME_TEXTS:
    for _index, _language in enumerate(LANGUAGES):
        setattr(LogframeForm, f"{_name}_{_language}", TextAreaField(
            LOGFRAME_LABELS[_name][_index], filters=[strip],
            validators=[Length(max=MAX_FIELD_LENGTH,
                               message=_l("Keep this under %(max)d characters."))],
            render_kw={"rows": 2, "lang": _language},
        ))


def _quarter_field(label: Any, required: Any) -> IntegerField:
    return IntegerField(label, validators=[
        InputRequired(required),
        NumberRange(min=1, max=MAX_QUARTERS,
                    message=_l("Give a quarter from 1 to %(max)s.")),
    ])


class ActivityForm(FlaskForm):
    """A work-plan activity: its title in both languages, its quarters, who is responsible."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST

    title_en = StringField(_l("Activity in English"), filters=[strip],
                           validators=[Length(max=MAX_TITLE_LENGTH)])
    title_ru = StringField(_l("Activity in Russian"), filters=[strip],
                           validators=[Length(max=MAX_TITLE_LENGTH)])
    start_quarter = _quarter_field(_l("From quarter"), _l("Give the first quarter."))
    end_quarter = _quarter_field(_l("To quarter"), _l("Give the last quarter."))
    responsible_org_id = SelectField(_l("Responsible"), default="",
                                     invalid_choice_message=_l("Choose an organisation from "
                                                               "the list."))

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.responsible_org_id.choices = [("", _l("Nobody named")), *(
            (str(org.id), org.name) for org in responsible_candidates(application))]

    @classmethod
    def for_activity(cls, activity: WorkPlanActivity) -> ActivityForm:
        return cls(application=activity.application, data={
            "title_en": activity.title_en, "title_ru": activity.title_ru,
            "start_quarter": activity.start_quarter, "end_quarter": activity.end_quarter,
            "responsible_org_id": str(activity.responsible_org_id or ""),
        })

    def to_input(self) -> ActivityInput:
        responsible = self.responsible_org_id.data
        return ActivityInput(start_quarter=self.start_quarter.data,
                             end_quarter=self.end_quarter.data,
                             title_en=self.title_en.data or "", title_ru=self.title_ru.data or "",
                             responsible_org_id=int(responsible) if responsible else None)


class FinalForm(FlaskForm):
    """Print a final version: language, donor template, and a reason if checks fail."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST

    language = SelectField(_l("Language of the proposal"),
                           validators=[InputRequired(_l("Choose the proposal's language."))],
                           invalid_choice_message=_l("Choose English or Russian."))
    template = SelectField(_l("Donor template"),
                           validators=[InputRequired(_l("Choose a template."))],
                           invalid_choice_message=_l("Choose a template from the list."))
    override_reason = TextAreaField(
        _l("Reason for printing although checks fail"), filters=[strip],
        validators=[Length(max=MAX_REASON_LENGTH,
                           message=_l("Keep this under %(max)d characters."))],
        description=_l("Needed only while an eligibility check has not passed; it is kept "
                       "with the final version."),
        render_kw={"rows": 2},
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
        self.template.choices = template_choices()
        if self.template.data is None:
            self.template.data = template_for(application).name
