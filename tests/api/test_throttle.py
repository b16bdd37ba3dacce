"""Failed-login throttling over the API: per address and per username (docs/security.md), shared by every worker."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.conftest import api_login as login
from tests.conftest import test_config as make_config


@pytest.fixture
def limited_app(database_url, instance_path):
    from erp_admin import create_app
    from tests.conftest import empty_database

    app = create_app(make_config(database_url, instance_path, LOGIN_RATE_LIMIT=3, LOGIN_RATE_WINDOW=60))
    yield app
    empty_database(app)


def test_eleventh_failure_is_429_with_retry_after_even_with_the_right_password(client, make_user):
    make_user("dave", password="password123")
    for _ in range(10):
        assert_problem(login(client, "dave", "wrong-password"), 401)
    response = login(client, "dave", "wrong-password")
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert_problem(login(client, "dave", "password123"), 429)


def test_successful_logins_do_not_count(limited_app, make_user):
    client = limited_app.test_client()
    with limited_app.app_context():
        from tests.factories import create_user

        create_user("erin", password="password123")
    for _ in range(5):
        assert login(client, "erin", "password123").status_code == 200


def at(addr: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": addr}}


def test_counts_per_username_across_addresses(limited_app):
    """A username's threshold is USER_LIMIT_FACTOR x the limit, from any addresses; then new addresses get 429."""
    from erp_admin.auth.throttle import USER_LIMIT_FACTOR

    client = limited_app.test_client()
    threshold = 3 * USER_LIMIT_FACTOR
    for i in range(threshold):  # one failure per address: no address reaches its own limit
        assert_problem(login(client, "frank", "bad", **at(f"10.0.0.{i}")), 401)
    response = login(client, "frank", "bad", **at("10.0.0.99"))
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_an_attacker_cannot_lock_a_user_out_from_one_address(client, make_user):
    make_user("manager", password="manager-pass-1")
    for _ in range(10):
        assert_problem(login(client, "manager", "guess", **at("10.0.0.66")), 401)
    assert_problem(login(client, "manager", "guess", **at("10.0.0.66")), 429)
    assert_problem(login(client, "manager", "manager-pass-1", **at("10.0.0.66")), 429)  # that address is blocked
    # The real manager, elsewhere, never signed in from there before: still signs in.
    assert login(client, "manager", "manager-pass-1", **at("10.0.0.7")).status_code == 200


def test_stuffing_one_account_from_many_addresses_spares_its_known_addresses(limited_app):
    from erp_admin.auth.throttle import USER_LIMIT_FACTOR
    from tests.factories import create_user

    with limited_app.app_context():
        create_user("manager", role="manager", password="manager-pass-1")
    client = limited_app.test_client()
    assert login(client, "manager", "manager-pass-1", **at("10.0.0.7")).status_code == 200  # a known address
    for i in range(3 * USER_LIMIT_FACTOR):  # a botnet: many addresses, a few guesses each
        assert_problem(login(client, "manager", "guess", **at(f"172.16.{i // 2}.{i % 2}")), 401)
    # A new address is refused, right password or not ...
    assert_problem(login(client, "manager", "manager-pass-1", **at("172.16.200.1")), 429)
    assert_problem(login(client, "manager", "guess", **at("172.16.200.2")), 429)
    # ... while the address the manager signed in from still signs in.
    assert login(client, "manager", "manager-pass-1", **at("10.0.0.7")).status_code == 200
    # Other users are not affected.
    assert_problem(login(client, "someone", "guess", **at("172.16.200.3")), 401)


def test_counts_per_address_across_usernames(limited_app):
    client = limited_app.test_client()
    for i in range(3):
        login(client, f"name{i}", "bad", environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert_problem(login(client, "another", "bad", environ_base={"REMOTE_ADDR": "10.1.1.1"}), 429)
    assert_problem(login(client, "another2", "bad", environ_base={"REMOTE_ADDR": "10.1.1.2"}), 401)


def test_forged_forwarded_for_does_not_reset_the_counter(limited_app):
    client = limited_app.test_client()
    for i in range(3):
        login(client, f"u{i}", "bad", headers={"X-Forwarded-For": f"192.0.2.{i}"})
    assert_problem(login(client, "u9", "bad", headers={"X-Forwarded-For": "192.0.2.200"}), 429)


def test_trusted_proxy_forwarded_for_is_the_client(database_url, instance_path):
    from erp_admin import create_app
    from tests.conftest import empty_database

    app = create_app(make_config(database_url, instance_path, LOGIN_RATE_LIMIT=3, TRUSTED_PROXIES=1))
    try:
        client = app.test_client()
        for i in range(3):
            login(client, f"v{i}", "bad", headers={"X-Forwarded-For": "198.51.100.7"})
        assert_problem(login(client, "v9", "bad", headers={"X-Forwarded-For": "198.51.100.7"}), 429)
        # Behind the proxy, another real client is another address.
        assert_problem(login(client, "v10", "bad", headers={"X-Forwarded-For": "198.51.100.8"}), 401)
    finally:
        empty_database(app)


def test_counters_hold_across_app_instances(limited_app, make_app):
    """Two workers (two apps on one database) share the counter: never twice the limit."""
    other = make_app(LOGIN_RATE_LIMIT=3)
    a, b = limited_app.test_client(), other.test_client()
    login(a, "gina", "bad")
    login(b, "gina", "bad")
    login(a, "gina", "bad")
    assert_problem(login(b, "gina", "bad"), 429)
