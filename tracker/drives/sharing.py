"""What a drive's link shows when it is shared: the Open Graph and Twitter card tags that
Telegram, VK, Facebook, X and the messengers read, and the picture of its progress."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import escape

from tracker.drives.models import Drive
from tracker.drives.selectors import DriveFigures
from tracker.i18n import current_language, format_money
from tracker.urls import external_url

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont, ImageFont

# Messengers cut descriptions around 200 characters; Open Graph wants a 1.91:1 picture.
DESCRIPTION_LENGTH = 200
IMAGE_SIZE = (1200, 630)
OG_LOCALES = {"en": "en_GB", "ru": "ru_RU"}
FONT_FOLDER = Path("/usr/share/fonts/truetype/dejavu")
# The widget's frame: its width, and a height that fits its content in either language
# when the embedding page drops the script that fits the frame to the content.
WIDGET_WIDTH, WIDGET_HEIGHT = 360, 260
# The colours of the thermometer on the page (app.css), on white.
INK, MUTED, TRACK, RECEIVED, PLEDGED = "#212529", "#5c636a", "#e9ecef", "#198754", "#8fd1b0"


@dataclass(frozen=True)
class Preview:
    """The tags of a shared link: title, description, address, picture, language, site."""

    title: str
    progress: str
    description: str
    url: str
    image_url: str
    locale: str
    alternate_locale: str
    site_name: str


def trimmed_at_word(text: str, limit: int) -> str:
    """The text on one line, cut at the last whole word within `limit` characters, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.–—-") + "…"


def progress_sentence(figures: DriveFigures) -> str:
    """'Raised RUB 45,000.00 of RUB 120,000.00' in the current language."""
    return _("Raised %(received)s of %(goal)s", received=format_money(figures.received),
             goal=format_money(figures.goal))


def preview_of(drive: Drive, figures: DriveFigures) -> Preview:
    """The preview tags of the drive's public page, in the current language."""
    language = current_language()
    sentence = progress_sentence(figures)
    description = trimmed_at_word(f"{sentence}. {drive.purpose}", DESCRIPTION_LENGTH)
    version = f"{figures.received.minor}-{figures.pledged.minor}-{figures.supporters}"
    return Preview(
        title=drive.title,
        progress=sentence,
        description=description,
        url=external_url("drives.public_page", slug=drive.slug),
        image_url=external_url("drives.preview_image", slug=drive.slug, lang=language,
                               v=version),
        locale=OG_LOCALES[language],
        alternate_locale=OG_LOCALES["ru" if language == "en" else "en"],
        site_name=drive.organiser_name,
    )


def site_origin() -> str:
    """'https://tracker.example.org': the scheme and host of BASE_URL, where the widget lives."""
    scheme, _, rest = current_app.config["BASE_URL"].partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def embed_code(drive: Drive) -> str:
    """The HTML another site pastes to show the drive's widget: the frame, sized for its
    content, and a small script that fits the frame to the height the widget reports
    (only from a message of this site's widget in this very frame)."""
    frame_id = f"tracker-drive-{drive.slug}"
    frame = (f'<iframe id="{frame_id}" src="{external_url("drives.widget", slug=drive.slug)}" '
             f'width="{WIDGET_WIDTH}" height="{WIDGET_HEIGHT}" title="{escape(drive.title)}" '
             f'loading="lazy"></iframe>')
    script = (
        '<script>addEventListener("message",function(e){'
        f'var f=document.getElementById({json.dumps(frame_id)});'
        f'if(f&&e.origin==={json.dumps(site_origin())}&&e.source===f.contentWindow&&e.data'
        '&&e.data.height>0&&e.data.height<2000){f.height=e.data.height}});</script>')
    return f"{frame}\n{script}"


@cache
def _font(size: int, bold: bool = False) -> FreeTypeFont | ImageFont:
    """DejaVu Sans (Latin and Cyrillic), else Pillow's own font (Latin only)."""
    from PIL import ImageFont

    path = FONT_FOLDER / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size)


def _wrapped(text: str, font: FreeTypeFont | ImageFont, width: int, lines: int) -> list[str]:
    """The text broken into at most `lines` lines of at most `width` pixels, "…" if cut."""
    result: list[str] = []
    words = text.split()
    while words and len(result) < lines:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        result.append(line)
    if words:
        last = result[-1]
        while last and font.getlength(last + "…") > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        result[-1] = last + "…"
    return result


def progress_png(drive: Drive, figures: DriveFigures) -> bytes:
    """A 1200×630 PNG of the drive: organisers, title, thermometer, raised of goal."""
    from PIL import Image, ImageDraw

    width, height = IMAGE_SIZE
    margin = 72
    image = Image.new("RGB", IMAGE_SIZE, "white")
    draw = ImageDraw.Draw(image)
    draw.text((margin, margin), drive.organiser_name, font=_font(30), fill=MUTED)
    top = margin + 64
    for line in _wrapped(drive.title, _font(56, bold=True), width - 2 * margin, 3):
        draw.text((margin, top), line, font=_font(56, bold=True), fill=INK)
        top += 70
    bar_top, bar_height, bar_width = height - margin - 150, 44, width - 2 * margin
    draw.rounded_rectangle((margin, bar_top, margin + bar_width, bar_top + bar_height),
                           radius=10, fill=TRACK)
    received = int(bar_width * figures.received_width / 100)
    pledged = int(bar_width * figures.pledged_width / 100)
    if received:
        draw.rectangle((margin, bar_top, margin + received, bar_top + bar_height), fill=RECEIVED)
    if pledged:
        draw.rectangle((margin + received, bar_top, margin + received + pledged,
                        bar_top + bar_height), fill=PLEDGED)
    draw.text((margin, bar_top + bar_height + 24), progress_sentence(figures),
              font=_font(38, bold=True), fill=INK)
    supporters = ngettext("%(num)d supporter", "%(num)d supporters", figures.supporters)
    draw.text((margin, bar_top + bar_height + 80), supporters, font=_font(30), fill=MUTED)
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
