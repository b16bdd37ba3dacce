"""Password hashing: argon2id at OWASP strength, older schemes verified once and upgraded, bounded concurrency."""
import threading

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from erp_admin import create_app
from erp_admin.auth import passwords
from erp_admin.auth.passwords import hash_parameters, hash_password, verify_password
from erp_admin.auth.signin import authenticate
from erp_admin.config import Defaults
from erp_admin.extensions import db
from erp_admin.models import User
from tests import conftest
from tests.legacy_db import sha256

PRODUCTION_STRENGTH = ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM")


@pytest.fixture
def default_strength_app(database_url, instance_path):
    """An app with the package's default (production) argon2 parameters."""
    config = conftest.test_config(database_url, instance_path)
    for key in PRODUCTION_STRENGTH:
        config.pop(key)
    app = create_app(config)
    yield app
    conftest.empty_database(app)  # also closes this app's connections


def _store_hash(username: str, stored: str) -> None:
    user = db.session.scalar(select(User).where(User.username == username))
    user.password_hash = stored
    db.session.commit()


def _stored_hash(username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.username == username))


def test_default_parameters_meet_the_owasp_minimum(default_strength_app):
    with default_strength_app.app_context():
        stored = hash_password("correct horse battery staple")
    params = hash_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert params["memory_cost"] >= 19456 and params["time_cost"] >= 2 and params["parallelism"] == 1
    assert (Defaults.ARGON2_MEMORY_COST, Defaults.ARGON2_TIME_COST, Defaults.ARGON2_PARALLELISM) == (
        params["memory_cost"], params["time_cost"], params["parallelism"])


def test_new_users_get_argon2id_hashes(app, make_user):
    user = make_user("ada", password="password123")
    with app.app_context():
        stored = _stored_hash("ada")
        assert stored.startswith("$argon2id$")
        assert verify_password(stored, "password123") == (True, None)
        assert verify_password(stored, "password124") == (False, None)
    assert user.username == "ada"


def test_weaker_argon2_parameters_are_upgraded(app, default_strength_app):
    with app.app_context():
        cheap = hash_password("password123")
    with default_strength_app.app_context():
        ok, new_hash = verify_password(cheap, "password123")
    assert ok and hash_parameters(new_hash)["memory_cost"] == Defaults.ARGON2_MEMORY_COST


def test_legacy_sha256_verifies_and_is_upgraded_at_login(app, make_user):
    make_user("olduser")
    with app.app_context():
        _store_hash("olduser", sha256("legacy-pass"))
        assert authenticate("olduser", "legacy-pass", client_addr="10.0.0.1").ok
        upgraded = _stored_hash("olduser")
        assert upgraded.startswith("$argon2id$")
        assert verify_password(upgraded, "legacy-pass") == (True, None)
        assert authenticate("olduser", "legacy-pass", client_addr="10.0.0.1").ok


def test_a_wrong_password_upgrades_nothing(app, make_user):
    make_user("olduser")
    with app.app_context():
        _store_hash("olduser", sha256("legacy-pass"))
        assert not authenticate("olduser", "wrong-pass", client_addr="10.0.0.1").ok
        assert _stored_hash("olduser") == sha256("legacy-pass")
        assert verify_password(sha256("legacy-pass"), "Legacy-pass") == (False, None)


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:1000"])
def test_werkzeug_hashes_verify_and_are_rehashed(app, make_user, method):
    make_user("flaskuser")
    with app.app_context():
        _store_hash("flaskuser", generate_password_hash("werkzeug-pass", method=method))
        assert not authenticate("flaskuser", "wrong-pass", client_addr="10.0.0.2").ok
        assert not _stored_hash("flaskuser").startswith("$argon2")
        assert authenticate("flaskuser", "werkzeug-pass", client_addr="10.0.0.2").ok
        assert _stored_hash("flaskuser").startswith("$argon2id$")


@pytest.mark.parametrize("stored", [
    "$2b$12$abcdefghijklmnopqrstuuHcBGMwd8OMiIT3iu1ZzJ8l2EJtVnDy",  # bcrypt: not a scheme we know
    "md5$abc$def",
    "plain-text-password",
    "$argon2id$v=19$m=garbage",
    "",
    None,
])
def test_foreign_or_garbage_hashes_just_fail(app, stored):
    with app.app_context():
        assert verify_password(stored, "plain-text-password") == (False, None)


def test_concurrent_hashes_are_bounded(app, monkeypatch):
    limit, workers = 2, 6
    app.config["PASSWORD_HASH_CONCURRENCY"] = limit
    state = {"active": 0, "max": 0, "done": 0}
    lock = threading.Lock()
    limit_reached = threading.Event()
    release = threading.Event()

    class SlowHasher:
        def hash(self, password):
            with lock:
                state["active"] += 1
                state["max"] = max(state["max"], state["active"])
                if state["active"] >= limit:
                    limit_reached.set()
            release.wait(10)
            with lock:
                state["active"] -= 1
                state["done"] += 1
            return "hashed"

    monkeypatch.setattr(passwords, "_hasher", lambda: SlowHasher())

    def work():
        with app.app_context():
            hash_password("password123")

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    assert limit_reached.wait(10)
    # The others are now queued on the semaphore; give them every chance to
    # (wrongly) get in before releasing the running ones.
    for thread in threads:
        thread.join(0.05)
    with lock:
        assert state["active"] == limit
    release.set()
    for thread in threads:
        thread.join(10)
    assert state == {"active": 0, "max": limit, "done": workers}


FAILURES = {
    "unknown user": ("nobody", "whatever-pass", None, True),
    "wrong password, argon2 account": ("argonuser", "wrong-pass", None, True),
    "wrong password, legacy SHA-256 account": ("olduser", "wrong-pass", sha256("legacy-pass"), True),
    "wrong password, Werkzeug account": ("flaskuser", "wrong-pass", generate_password_hash("werkzeug-pass", method="pbkdf2:sha256:1000"), True),
    "inactive, argon2 account, right password": ("argonuser", "password123", None, False),
    "inactive, legacy account, right password": ("olduser", "legacy-pass", sha256("legacy-pass"), False),
    "inactive, legacy account, wrong password": ("olduser", "wrong-pass", sha256("legacy-pass"), False),
}


@pytest.mark.parametrize("case", FAILURES)
def test_every_kind_of_failed_login_runs_one_argon2_verification(app, make_user, monkeypatch, case):
    """Same cost for every failure, so timing tells no account (or its hash scheme) apart: one argon2 verify, no hash."""
    from argon2 import PasswordHasher

    username, password, stored, active = FAILURES[case]
    if username != "nobody":
        make_user(username, password="password123", is_active=active)
    with app.app_context():
        if stored:
            _store_hash(username, stored)
        passwords.burn_dummy_hash("warm-up")  # the dummy hash is made once per process
        calls = {"verify": 0, "hash": 0}
        real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

        def verify(self, *args, **kwargs):
            calls["verify"] += 1
            return real_verify(self, *args, **kwargs)

        def hash_(self, *args, **kwargs):
            calls["hash"] += 1
            return real_hash(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, "verify", verify)
        monkeypatch.setattr(PasswordHasher, "hash", hash_)
        assert not authenticate(username, password, client_addr="10.0.0.3").ok
    assert calls == {"verify": 1, "hash": 0}
