"""Hostile input never answers 500: every route of the URL map, every argument, every field.

The routes come from the app's URL map, the form fields from the forms the app renders
(every form on every page this world shows) and the query parameters from the same
pages' GET forms plus the names views read from `request.args`: a route added tomorrow
is fuzzed the day it is added. Valid addresses come from the access matrix's world
(tests/test_access.py); a rule it does not know yet gets `1` for an integer and `x`
for any other argument.

Each request is sent by an administrator (who may open every page) and, for the
addresses, by an anonymous visitor; a POST runs in a savepoint, so that one request
deleting a record does not hide the record from the next.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, Rule

from tests.auth_support import login
from tests.conftest import _binding, rolled_back
from tests.drive_support import DRIVE_SLUG, make_pledge, page_text
from tests.factories import count_rows
from tests.pages import switch_to_russian
from tests.test_access import ROUTES, World, build_world
from tracker.auth.models import User
from tracker.auth.sessions import is_local_path
from tracker.drives.models import Pledge
from tracker.extensions import db, limiter
from tracker.forms import MAX_ID, parse_whole_number

ADMIN = "admin"

# Path segments, already percent-encoded: out-of-range, negative and non-ASCII numbers,
# control characters, invalid UTF-8, a long segment.
HOSTILE_SEGMENTS = (
    str(2**31), str(2**63), str(10**30), "-1", "0", "abc", quote("²"), quote("١٢"),
    "%00", "a%0D%0Ab", "a%09b", "%FF%FE", "x" * 4000,
)
LONG = 1 << 20  # a megabyte: a whole request body holds one (MAX_CONTENT_LENGTH is 2 MiB)
# Query values (str, or bytes where they are not UTF-8); every parameter gets each in turn.
QUERY_VALUES: tuple[str | bytes, ...] = (
    "a\x00b", "a\r\nb", "//evil.example/", "/\t/evil.example/", "x" * LONG, "²", "١٢",
    str(2**31), str(2**63), "-1", b"\xff\xfe", "2^63",
)
# Form fields, one at a time: 64 KB is longer than any column; the megabyte is sent once
# a form, spread over all its fields. 2**31 overflows PostgreSQL's integer, 2**63 any.
FORM_VALUES: tuple[str | bytes, ...] = (
    "a\x00b", "a\r\nb", "x" * 65536, "²", str(2**31), str(2**63), "1e309", b"\xff\xfe",
)
# What views read from request.args beyond their filter forms' fields (grep request.args).
QUERY_NAMES = ("page", "history_page", "campaign", "status", "country", "all", "next", "lang",
               "template", "q", "sort", "version", "actor", "rescued")


class _Forms(HTMLParser):
    """The forms of a page: (method, action, fields with their values as rendered)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._fields = {}
            self.forms.append((attr.get("method", "get").lower(), attr.get("action", ""),
                               self._fields))
        if self._fields is None or ("name" not in attr and tag != "option"):
            return
        if tag == "input":
            if attr.get("type") in {"checkbox", "radio"} and "checked" not in attr:
                self._fields.setdefault(attr["name"], "")
            elif attr.get("type") not in {"submit", "file"}:
                self._fields[attr["name"]] = attr.get("value", "")
        elif tag == "select":
            self._select = attr["name"]
            self._fields[attr["name"]] = ""
        elif tag == "option" and self._select is not None:
            if not self._fields[self._select] or "selected" in attr:
                self._fields[self._select] = attr.get("value", "")
        elif tag == "textarea":
            self._textarea = attr["name"]
            self._fields[attr["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._fields is not None and self._textarea is not None:
            self._fields[self._textarea] += data


def rules(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) the app serves, without HEAD and OPTIONS and the static files."""
    return sorted(((rule, method) for rule in app.url_map.iter_rules()
                   for method in rule.methods or () if method not in {"HEAD", "OPTIONS"}
                   and rule.endpoint != "static"), key=lambda pair: (pair[0].rule, pair[1]))


def valid_values(app: Flask, world: World, rule: Rule, method: str) -> dict[str, object]:
    """The rule's arguments naming records of the world (or 1 and 'x' for a new rule)."""
    values: dict[str, object] = {name: 1 if isinstance(converter, IntegerConverter) else "x"
                                 for name, converter in rule._converters.items()}
    expected = ROUTES.get((rule.endpoint, method))
    if expected is not None:
        matched, arguments = app.url_map.bind("localhost").match(
            urlsplit(expected.path(world)).path, method=method, return_rule=True)
        if matched is rule:
            values.update(arguments)
    return values


def url_for_rule(app: Flask, rule: Rule, values: dict[str, object], method: str) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=method)


class Fuzzer:
    """Sends requests as the admin or anonymously, and keeps every answer that was a 500."""

    def __init__(self, app: Flask, admin_id: int) -> None:
        self.app = app
        self.admin_id = admin_id
        self.problems: list[str] = []
        self.sent = 0
        connection = _binding.connection
        assert connection is not None
        self._connection = connection
        self._test_savepoint = connection.get_nested_transaction()
        self._addresses = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
                           for n in itertools.count(1))

    def client(self, actor: str):
        client = self.app.test_client()
        if actor == ADMIN:
            login(client, db.session.get(User, self.admin_id))
        return client

    def send(self, client, method: str, url: str, what: str, body: bytes | None = None) -> None:
        limiter.reset()  # rate limits are not under test here; a 429 would hide the view
        self.sent += 1
        environ = {"REMOTE_ADDR": next(self._addresses)}
        # Requests share the test's app context, so its session outlives a request: end it,
        # so that the savepoint below is not inside the session's own.
        db.session.remove()
        try:
            if method == "GET":
                response = client.get(url, buffered=True, environ_base=environ)
            else:
                with rolled_back(db.engine):
                    response = client.open(url, method=method, data=body or b"", buffered=True,
                                           content_type="application/x-www-form-urlencoded",
                                           environ_base=environ)
        except Exception as error:  # a raised error is a 500 too
            self.problems.append(f"{method} {url[:120]!r} {what}: raised {error!r}")
            self._recover()
            return
        if response.status_code >= 500:
            self.problems.append(f"{method} {url[:120]!r} {what}: {response.status_code}")
            self._recover()

    def check(self) -> None:
        """Fail naming the first problems and how many there were in all."""
        assert not self.problems, "\n".join(
            [f"{len(self.problems)} of {self.sent} hostile requests failed:",
             *self.problems[:80]])

    def _recover(self) -> None:
        """Undo the savepoints a failed request left broken, so the next request can run."""
        db.session.remove()
        while (nested := self._connection.get_nested_transaction()) is not None \
                and nested is not self._test_savepoint:
            nested.rollback()


def encode(pairs: list[tuple[str, str | bytes]]) -> bytes:
    return urlencode(pairs).encode("ascii")


def query_string(pairs: list[tuple[str, str | bytes]]) -> str:
    return urlencode(pairs)


@pytest.fixture(scope="module")
def fuzz_world(shared_app: Flask, tmp_path_factory) -> Iterator[tuple[World, dict[str, int]]]:
    """The access matrix's world, built once for the module and rolled back after it."""
    storage = str(tmp_path_factory.mktemp("hostile-proposals"))
    settings = dict(shared_app.config)
    shared_app.config["PROPOSAL_STORAGE_DIR"] = storage
    try:
        with shared_app.app_context(), rolled_back(db.engine):
            built, users = build_world()
            db.session.remove()
            yield built, users
    finally:
        shared_app.config.clear()
        shared_app.config.update(settings)


@pytest.fixture
def fuzzer(app: Flask, fuzz_world) -> Fuzzer:
    return Fuzzer(app, fuzz_world[1][ADMIN])


def test_hostile_path_arguments_never_answer_500(app, fuzz_world, fuzzer):
    world, _ = fuzz_world
    clients = {actor: fuzzer.client(actor) for actor in (ADMIN, "anonymous")}
    for rule, method in rules(app):
        valid = valid_values(app, world, rule, method)
        for name in rule.arguments:
            sentinel = "9" * 17 if isinstance(rule._converters[name], IntegerConverter) \
                else "hostilesentinel"
            template = url_for_rule(app, rule, {**valid, name: int(sentinel)
                                                if sentinel.isdigit() else sentinel}, method)
            for segment, (actor, client) in itertools.product(HOSTILE_SEGMENTS,
                                                              clients.items()):
                body = encode([("csrf_token", client.csrf_token())]) if method != "GET" else None
                fuzzer.send(client, method, template.replace(sentinel, segment),
                            f"as {actor}, <{name}>={segment[:20]!r}", body)
    fuzzer.check()
    assert fuzzer.sent > 1000


def page_forms(app: Flask, world: World, client) -> list[tuple[str, str, dict[str, str]]]:
    """Every form on every page the admin can open in this world."""
    forms = []
    for rule, method in rules(app):
        if method != "GET":
            continue
        url = url_for_rule(app, rule, valid_values(app, world, rule, method), method)
        response = client.get(url, buffered=True)
        if response.status_code == 200 and response.mimetype == "text/html":
            parser = _Forms()
            parser.feed(response.get_data(as_text=True))
            # A form without an action posts to its own page.
            forms.extend((method, urljoin(url, action), fields)
                         for method, action, fields in parser.forms)
    return forms


def sent_to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


def test_hostile_query_parameters_never_answer_500(app, fuzz_world, fuzzer):
    world, _ = fuzz_world
    admin = fuzzer.client(ADMIN)
    names = set(QUERY_NAMES)
    for method, _action, fields in page_forms(app, world, admin):
        if method == "get":
            names.update(fields)
    clients = {ADMIN: admin, "anonymous": fuzzer.client("anonymous")}
    for rule, method in rules(app):
        if method != "GET":
            continue
        url = url_for_rule(app, rule, valid_values(app, world, rule, method), method)
        # Pages that send anonymous visitors to log in read no parameter of theirs.
        readers = {actor: client for actor, client in clients.items()
                   if actor == ADMIN or not sent_to_login(client.get(url, buffered=True))}
        for value, (actor, client) in itertools.product(QUERY_VALUES, readers.items()):
            if len(value) >= LONG:  # a megabyte in all, not in each parameter
                value = value[:LONG // len(names)]
            query = query_string([(name, value) for name in sorted(names)])
            fuzzer.send(client, "GET", f"{url}?{query}", f"as {actor}, every parameter "
                        f"= {value[:20]!r}")
    fuzzer.check()
    assert {"page", "campaign", "status"} <= names


def test_hostile_form_fields_never_answer_500(app, fuzz_world, fuzzer):
    """Each field of each form the app renders, one at a time, the others as rendered."""
    world, _ = fuzz_world
    clients = {actor: fuzzer.client(actor) for actor in (ADMIN, "anonymous")}
    rendered: dict[str, dict[str, dict[str, str]]] = {actor: {} for actor in clients}
    for actor, client in clients.items():
        for method, action, fields in page_forms(app, world, client):
            if method == "post":
                rendered[actor].setdefault(urlsplit(action).path, {}).update(fields)
    posted = 0
    for rule, method in rules(app):
        if method != "POST":
            continue
        url = url_for_rule(app, rule, valid_values(app, world, rule, method), method)
        for actor, client in clients.items():
            forms = rendered[actor]
            if actor != ADMIN and urlsplit(url).path not in forms:
                continue  # a form anonymous visitors are never shown: they go to log in
            fields = {"next": "/", **forms.get(urlsplit(url).path, {})}
            fields.pop("csrf_token", None)
            posted += 1
            token = client.csrf_token()
            spread = "x" * (LONG // len(fields))
            fuzzer.send(client, "POST", url, f"as {actor}, every field {len(spread)} long",
                        encode([("csrf_token", token), *((key, spread) for key in fields)]))
            for name, value in itertools.product(sorted(fields), FORM_VALUES):
                pairs = [("csrf_token", token),
                         *((key, value if key == name else rendered_value)
                           for key, rendered_value in fields.items())]
                fuzzer.send(client, "POST", url, f"as {actor}, {name}={value[:20]!r}",
                            encode(pairs))
    fuzzer.check()
    assert len(rendered[ADMIN]) > 40 and posted > 50
    assert {"/login", "/language", f"/d/{world.drive}"} <= rendered["anonymous"].keys()


# --- each finding, one by one ----------------------------------------------------------------

PUBLIC = f"/d/{DRIVE_SLUG}"
CONTROL_MESSAGE = ("The request contained control characters (such as NUL) that no field "
                   "accepts. Remove them and try again.")


def public_pledge_form(**overrides: str) -> dict[str, str]:
    return {"pledger_name": "Oleg Ivanov", "contact_email": "oleg@example.org",
            "amount": "1500", "currency": "RUB", "message": "Good luck!", "website": "",
            **overrides}


@pytest.mark.parametrize("field", ["pledger_name", "contact_email", "amount", "message"])
def test_a_nul_in_the_public_pledge_form_is_refused_with_a_clear_message(client, drive, field):
    before = count_rows(Pledge)  # the fuzz tests' world, when it is built, has one
    response = client.post(PUBLIC, data=public_pledge_form(**{field: "Oleg\x00Ivanov"}))

    assert response.status_code == 400
    assert CONTROL_MESSAGE in page_text(response.text)
    assert count_rows(Pledge) == before


def test_the_control_character_refusal_speaks_russian(client, drive):
    switch_to_russian(client)
    response = client.post(PUBLIC, data=public_pledge_form(message="\x07"))
    assert response.status_code == 400
    assert "В запросе есть управляющие символы (например, NUL)" in page_text(response.text)


def test_tabs_and_line_breaks_in_a_message_are_kept(client, drive):
    response = client.post(PUBLIC, data=public_pledge_form(message="Good luck!\r\n\tFrom us"))
    assert response.status_code == 302
    assert db.session.scalars(select(Pledge).where(Pledge.drive_id == drive.id)).one(
    ).message.split() == ["Good", "luck!", "From", "us"]


@pytest.mark.parametrize("pledge_id", [2**31, 2**63, 10**30])
def test_an_id_beyond_the_databases_range_answers_404(as_lead, drive, pledge_id):
    assert as_lead.get(f"/drives/{DRIVE_SLUG}/pledges/{pledge_id}").status_code == 404
    assert as_lead.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge_id}/confirm",
                        data={"version": "1"}).status_code == 404


def test_an_id_in_other_digits_than_ascii_answers_404(as_lead, drive):
    pledge = make_pledge(drive)
    assert as_lead.get(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}").status_code == 200
    arabic = str(pledge.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert as_lead.get(f"/drives/{DRIVE_SLUG}/pledges/{arabic}").status_code == 404


@pytest.mark.parametrize("version", ["²", "١", str(2**63), "-1", "1e3"])
def test_a_malformed_version_on_the_pledge_forms_asks_to_reload(as_lead, drive, version):
    pledge = make_pledge(drive)
    before = (pledge.version, pledge.amount, pledge.status)
    edit = as_lead.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/edit", data={
        "amount": "99", "currency": "RUB", "pledged_on": "2026-03-10", "version": version})
    cancel = as_lead.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/cancel",
                          data={"version": version, "reason": "test"})

    assert edit.status_code == 422
    assert cancel.status_code in {302, 409, 422}
    db.session.expire_all()
    assert (pledge.version, pledge.amount, pledge.status) == before


@pytest.mark.parametrize("query", [
    "page=9223372036854775808", "page=-5", "page=²", "page=2^63", "campaign=9223372036854775808",
    "campaign=²", "campaign=abc", "status=nonsense", "history_page=10000000000000000000000",
])
def test_malformed_page_and_filter_parameters_are_ignored(as_lead, drive, query):
    for path in ("/drives/", f"/drives/{DRIVE_SLUG}", "/rates", "/campaigns/"):
        assert as_lead.get(f"{path}?{query}").status_code == 200, path


def test_a_nul_in_a_filter_parameter_is_refused_with_a_clear_message(as_lead, drive):
    response = as_lead.get("/drives/?campaign=%00")
    assert response.status_code == 400
    assert CONTROL_MESSAGE in page_text(response.text)


def test_whole_numbers_are_read_in_ascii_digits_within_the_id_range():
    assert [parse_whole_number(text) for text in ("0", "12", "-3", str(MAX_ID))] == [
        0, 12, -3, MAX_ID]
    for text in ("", "²", "١٢", "1_000", " 1", "+1", "1.0", str(MAX_ID + 1), "1" * 30):
        with pytest.raises(ValueError):
            parse_whole_number(text)


# --- the language switch's `next` (finding 7) ------------------------------------------------


@pytest.mark.parametrize("target", [
    "/\t/evil.example/", "/\r\n/evil.example/", "/\n/evil.example/", "//evil.example/",
    "/\\evil.example/", "\\\\evil.example/", "https://evil.example/", "/%09/evil.example/",
    " //evil.example/", "\t//evil.example/", "javascript:alert(1)",
])
def test_the_language_switch_never_leaves_the_site(client, target):
    response = client.post("/language", data={"language": "ru", "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] in {"/", "/%09/evil.example/"}
    assert "evil" not in response.headers["Location"] or target == "/%09/evil.example/"


def test_the_language_switch_refuses_a_nul_in_next(client):
    response = client.post("/language", data={"language": "ru", "next": "/\x00//evil.example/"})
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_the_language_switch_goes_back_to_a_page_of_the_site(client):
    response = client.post("/language", data={"language": "ru", "next": "/drives/?status=live"})
    assert response.headers["Location"] == "/drives/?status=live"


@pytest.mark.parametrize("target", [
    "/\t/evil.example/", "/\r\n/evil.example/", "/\x00/evil", "//evil.example/",
    "/\\evil.example/", "http://evil.example/", "", None, "drives", "/\x7f/evil",
])
def test_is_local_path_refuses_other_hosts_and_control_characters(target):
    assert not is_local_path(target)


def test_is_local_path_takes_paths_of_this_site():
    assert is_local_path("/drives/?status=live") and is_local_path("/")


def test_a_nul_in_any_of_a_fields_repeated_values_or_a_file_name_is_refused(as_lead, drive):
    response = as_lead.get("/drives/?status=live&status=a%00b")
    assert response.status_code == 400
    response = as_lead.post(f"/drives/{DRIVE_SLUG}/import", data={
        "file": (io.BytesIO(b"date,amount,currency,reference\n"), "pledges\x00.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert CONTROL_MESSAGE in page_text(response.text)
