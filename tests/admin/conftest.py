"""Panel test helpers: sign in through the real login form, read CSRF tokens from pages."""
from __future__ import annotations

import re

import pytest
from jinja2 import BytecodeCache

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every test app of the session (keyed by source checksum)."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = MemoryBytecodeCache()


@pytest.fixture
def app(app):
    # Each test builds a fresh app; compiling Flask-Admin's templates anew each time
    # would dominate the panel tests' run time.
    app.jinja_env.bytecode_cache = _TEMPLATES
    return app


class Panel:
    """A test client driving the panel as a person would."""

    def __init__(self, client):
        self.client = client

    def login(self, username, password="password123", next_url=None):
        page = self.client.get("/admin/login/")
        data = {"username": username, "password": password, "csrf_token": csrf_from(page.get_data(as_text=True))}
        url = "/admin/login/" + (f"?next={next_url}" if next_url is not None else "")
        return self.client.post(url, data=data)

    def token(self) -> str:
        """A CSRF token valid for the current session (taken from a page that has one)."""
        page = self.client.get("/admin/login/", follow_redirects=True)
        return csrf_from(page.get_data(as_text=True))

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kwargs)

    def logout(self):
        return self.post("/admin/logout/")


@pytest.fixture
def panel(client):
    return Panel(client)


@pytest.fixture
def signed_in(app, make_user):
    """signed_in("manager") -> a Panel signed in as a fresh user of that role."""

    def sign_in(role: str, username: str | None = None):
        username = username or role
        make_user(username, role=role)
        p = Panel(app.test_client())
        response = p.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return p

    return sign_in
