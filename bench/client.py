"""A small browser for the HTTP benchmarks: keep-alive requests, cookies, real forms.

Only the standard library: one `http.client` connection per Browser (reopened when the
server closes it, as gunicorn's sync workers do after every response), a cookie jar that
keeps what the server sets, and an HTML form reader that fills a form the way a browser
would submit it (hidden fields such as the CSRF token and the once-only submission key,
text fields with their values, the selected option, checked boxes) so that a benchmark
posts the app's real forms. A Browser is used by one thread at a time.
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


class BenchRequestError(RuntimeError):
    """A benchmark request got an answer it cannot go on with."""


@dataclass
class Answer:
    """One response: status, headers, body and the milliseconds it took (request to last byte)."""

    status: int
    headers: dict[str, str]
    body: bytes
    ms: float

    @property
    def location(self) -> str:
        """The redirect's target path (without scheme and host)."""
        target = urlsplit(self.headers.get("location", ""))
        return target.path + (f"?{target.query}" if target.query else "")

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Form:
    """A form of a page: where it posts, and the fields a browser would send."""

    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def filled(self, **values: str) -> list[tuple[str, str]]:
        """The form's fields with some values replaced (or added)."""
        rest = [(name, value) for name, value in self.fields if name not in values]
        return rest + list(values.items())


class _FormReader(HTMLParser):
    """Collect every <form> of a page with the values a browser would submit."""

    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(attr.get("action") or self.page_path,
                              (attr.get("method") or "get").lower())
            self.forms.append(self._form)
        if self._form is None or "disabled" in attr:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            self._form.fields.append((name, attr.get("value", "on" if kind == "checkbox"
                                                     else "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attr.get("value", ""), "selected" in attr))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            first = [value for value, _ in self._options[:1]]
            for value in (chosen or first):
                self._form.fields.append((self._select, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


# A form's markup, from its start tag to its end tag: HTML forms cannot nest.
FORM_MARKUP = re.compile(r"<form\b.*?</form\s*>", re.DOTALL | re.IGNORECASE)
SELECT_MARKUP = re.compile(r"(<select\b[^>]*>)(.*?)(</select\s*>)", re.DOTALL | re.IGNORECASE)
OPTION_TAG = re.compile(r"<option\b[^>]*>", re.IGNORECASE)
SELECTED = re.compile(r"\sselected(?=[\s/>=])", re.IGNORECASE)


def _submitted_options(select: re.Match[str]) -> str:
    """A select with only the options a browser would submit: the selected ones, else the
    first (the currency list's 170 options were most of a form's parsing)."""
    options = OPTION_TAG.findall(select.group(2))
    chosen = [tag for tag in options if SELECTED.search(tag)] or options[:1]
    return select.group(1) + "".join(chosen) + select.group(3)


def read_forms(html: str, page_path: str) -> list[Form]:
    """Every form of the page, in order.

    Only the forms' own markup is parsed: the rest of a page (its navigation, tables and
    text) holds no field, and parsing it in Python was most of the client's CPU for each
    pledge it posted, on the same two cores as the server it measures.
    """
    reader = _FormReader(page_path)
    for markup in FORM_MARKUP.finditer(html):
        reader.feed(SELECT_MARKUP.sub(_submitted_options, markup.group()))
    reader.close()
    return reader.forms


def find_form(html: str, page_path: str, action_ends: str | None = None,
              has_field: str | None = None) -> Form:
    """The first POST form whose action ends with `action_ends` and has the field."""
    for form in read_forms(html, page_path):
        if form.method != "post":
            continue
        if action_ends is not None and not urlsplit(form.action).path.endswith(action_ends):
            continue
        if has_field is not None and all(name != has_field for name, _ in form.fields):
            continue
        return form
    raise BenchRequestError(f"no form posting to ...{action_ends} with {has_field} on "
                            f"{page_path}")


class Browser:
    """One client: a keep-alive connection to the server and its cookies."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None
        self.connections_opened = 0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port,
                                                          timeout=self.timeout)
            self.connections_opened += 1
        return self._connection

    def request(self, method: str, path: str,
                form: list[tuple[str, str]] | None = None) -> Answer:
        """Send one request (a form urlencoded) and read the whole answer; keep the cookies."""
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "en",
                   "User-Agent": "tracker-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self._connection is not None
            started = time.perf_counter()
            try:
                connection = self._connect()
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if reused and attempt == 1:
                    continue  # the server closed an idle kept-alive connection: reopen
                raise
            ms = (time.perf_counter() - started) * 1000
            if response.will_close:
                self.close()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                            data, ms)
            for header in response.msg.get_all("Set-Cookie") or []:
                self._keep_cookie(header)
            return answer
        raise AssertionError("unreachable")

    def _keep_cookie(self, header: str) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
            if expired or morsel.value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def page(self, path: str) -> Answer:
        """GET a page that must answer 200."""
        answer = self.get(path)
        if answer.status != 200:
            raise BenchRequestError(f"GET {path} answered {answer.status}")
        return answer

    def submit(self, page_path: str, action_ends: str | None = None,
               has_field: str | None = None, **values: str) -> Answer:
        """Open the page, fill its form (CSRF token and all) with the values, post it.

        The answer's `ms` is the POST's own time; opening the page is not in it.
        """
        return self.post_form(self.page(page_path), page_path, action_ends, has_field,
                              **values)

    def post_form(self, page: Answer, page_path: str, action_ends: str | None = None,
                  has_field: str | None = None, **values: str) -> Answer:
        """Fill a form of a page already opened (CSRF token and all) and post it."""
        form = find_form(page.text(), page_path, action_ends, has_field)
        return self.request("POST", form.action, form.filled(**values))

    def log_in(self, email: str, password: str) -> None:
        """Log in through the login form; raise unless the app redirects with a session."""
        answer = self.submit("/login", has_field="password", email=email, password=password)
        if answer.status != 302:
            raise BenchRequestError(f"logging in as {email} answered {answer.status}")
