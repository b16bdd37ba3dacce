"""The shared app's reset (tests/conftest.py): what one test changes does not reach the next."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from erp_admin import create_app
from erp_admin.api import tokens as token_module
from erp_admin.extensions import db
from tests.conftest import AppState, TokenFactory, empty_database, reset_database, test_config
from tests.factories import create_product


@pytest.fixture
def own(database_url, instance_path):
    app = create_app(test_config(database_url, instance_path))
    yield app
    empty_database(app)


def test_restore_puts_back_configuration_extensions_and_json_settings(own):
    state = AppState(own)
    own.config["API_MAX_LIMIT"] = 2
    del own.config["PANEL_LIST_COUNT_CAP"]
    own.config["SOMETHING_NEW"] = 1
    own.extensions["erp_redis_state"] = {"redis://x": {"down": True}}
    own.json.sort_keys = not own.json.sort_keys
    state.restore(own)
    assert own.config["API_MAX_LIMIT"] == state.config["API_MAX_LIMIT"] != 2
    assert "PANEL_LIST_COUNT_CAP" in own.config and "SOMETHING_NEW" not in own.config
    assert "erp_redis_state" not in own.extensions
    assert own.json.sort_keys == state.json.get("sort_keys", type(own.json).sort_keys)


def test_restore_refuses_a_test_that_added_a_hook(own):
    state = AppState(own)
    own.after_request(lambda response: response)
    with pytest.raises(AssertionError, match="own_app"):
        state.restore(own)


def test_the_shared_app_refuses_new_hooks_at_once(shared_app):
    with pytest.raises(AssertionError):
        shared_app.after_request(lambda response: response)


def test_reset_empties_every_table_and_ids_start_at_1_again(own):
    with own.app_context():
        create_product(sku="R-1")
        create_product(sku="R-2")
    reset_database(own)
    with own.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM products")) == 0
        assert create_product(sku="R-3").id == 1


def test_reset_clears_sqlite_sequence(tmp_path, instance_path):
    """AUTOINCREMENT tables keep their last id in sqlite_sequence: the reset empties it too."""
    from erp_admin.db.engine import upgrade_database

    app = create_app(test_config(f"sqlite:///{tmp_path / 'seq.db'}", instance_path))
    upgrade_database(app)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE counted (id INTEGER PRIMARY KEY AUTOINCREMENT)"))
            conn.execute(text("INSERT INTO counted DEFAULT VALUES"))
            assert conn.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'counted'")) == 1
    reset_database(app)
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM sqlite_sequence")) == 0
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("run", ["first", "second"])
def test_the_verified_token_cache_starts_empty(app, client, tokens, run):
    # The autouse reset clears it after every test: the second run finds what the first left.
    assert token_module._VERIFIED == {}
    assert client.get("/api/auth/me", headers=tokens("user")).status_code == 200
    assert token_module._VERIFIED


def test_tokens_work_for_an_app_a_test_built(own):
    headers = TokenFactory(own)("manager")
    assert own.test_client().get("/api/auth/me", headers=headers).get_json()["role"] == "manager"
