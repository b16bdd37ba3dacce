"""Users in the panel: admin-only writes, hashed passwords never shown, and the API's self/last-admin rules."""
from __future__ import annotations

import re

from sqlalchemy import select

from erp_admin.auth.passwords import verify_password
from erp_admin.extensions import db
from erp_admin.models import User


def get_user(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def _edit(panel, user, **fields):
    data = {"username": user.username, "email": user.email, "full_name": user.full_name or "",
            "role": user.role, "is_active": "y" if user.is_active else "", "password": "",
            "version": str(user.version)}
    data.update(fields)
    if not data["is_active"]:
        del data["is_active"]
    return panel.post(f"/admin/users/edit/?id={user.id}", data)


def test_admin_creates_user_with_hashed_password(app, signed_in):
    admin = signed_in("admin")
    response = admin.post("/admin/users/new/", {
        "username": "newbie", "email": "Newbie@Example.com", "full_name": "New Bie", "role": "manager",
        "is_active": "y", "password": "s3cret-passw0rd",
    })
    assert response.status_code == 302
    user = get_user(app, "newbie")
    assert user.role == "manager" and user.email == "newbie@example.com"
    assert user.password_hash.startswith("$argon2id$") and "s3cret" not in user.password_hash
    with app.app_context():
        assert verify_password(user.password_hash, "s3cret-passw0rd")[0]


def test_password_is_required_and_validated_on_create(app, signed_in):
    admin = signed_in("admin")
    html = admin.post("/admin/users/new/", {"username": "nopass", "email": "n@example.com", "role": "user"}).get_data(as_text=True)
    assert "field required" in html
    html = admin.post("/admin/users/new/", {"username": "shorty", "email": "s@example.com", "role": "user",
                                            "password": "short"}).get_data(as_text=True)
    assert "at least 8 characters" in html
    assert get_user(app, "nopass") is None and get_user(app, "shorty") is None


def test_password_and_hash_are_never_shown(app, signed_in, make_user):
    admin = signed_in("admin")
    make_user("victim", role="user", password="victim-password")
    victim = get_user(app, "victim")
    for url in ["/admin/users/", f"/admin/users/details/?id={victim.id}", f"/admin/users/edit/?id={victim.id}"]:
        html = admin.client.get(url).get_data(as_text=True)
        assert victim.password_hash not in html and "$argon2" not in html
        assert "victim-password" not in html
        assert "password_hash" not in html and "token_version" not in html
    edit = admin.client.get(f"/admin/users/edit/?id={victim.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="password"[^>]*type="password"[^>]*value=""|<input[^>]*type="password"[^>]*name="password"', edit)


def test_empty_password_on_edit_keeps_the_old_one(app, signed_in, make_user):
    admin = signed_in("admin")
    make_user("keeper", role="user", password="keeper-password")
    keeper = get_user(app, "keeper")
    assert _edit(admin, keeper, full_name="Kept").status_code == 302
    saved = get_user(app, "keeper")
    assert saved.full_name == "Kept" and saved.password_hash == keeper.password_hash


def test_new_password_on_edit_is_hashed(app, signed_in, make_user):
    admin = signed_in("admin")
    make_user("changer", role="user")
    changer = get_user(app, "changer")
    assert _edit(admin, changer, password="brand-new-password").status_code == 302
    with app.app_context():
        assert verify_password(get_user(app, "changer").password_hash, "brand-new-password")[0]


def test_role_is_a_select(signed_in):
    admin = signed_in("admin")
    html = admin.client.get("/admin/users/new/").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="role"', html)
    for role in ("admin", "manager", "user"):
        assert f'value="{role}"' in html


def test_admin_cannot_delete_self(app, signed_in):
    admin = signed_in("admin")
    me = get_user(app, "admin")
    response = admin.post("/admin/users/delete/", {"id": str(me.id)}, follow_redirects=True)
    assert "You cannot delete your own account." in response.get_data(as_text=True)
    assert get_user(app, "admin") is not None


def test_admin_cannot_deactivate_self(app, signed_in, make_user):
    make_user("admin2", role="admin")
    admin = signed_in("admin")
    me = get_user(app, "admin")
    response = _edit(admin, me, is_active="")
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert get_user(app, "admin").is_active


def test_last_admin_cannot_be_demoted(app, signed_in):
    admin = signed_in("admin")
    me = get_user(app, "admin")
    response = _edit(admin, me, role="manager")
    assert "The last active admin cannot be deactivated or demoted." in response.get_data(as_text=True)
    assert get_user(app, "admin").role == "admin"


def test_duplicate_username_is_a_message(app, signed_in, make_user):
    admin = signed_in("admin")
    make_user("taken", role="user")
    html = admin.post("/admin/users/new/", {"username": "taken", "email": "other@example.com", "role": "user",
                                            "password": "password123"}).get_data(as_text=True)
    assert "A user with this username already exists." in html


def test_stale_user_edit_overwrites_nothing(app, signed_in, make_user):
    from erp_admin.services.records import update_record

    admin = signed_in("admin")
    make_user("target", role="user")
    before = get_user(app, "target")
    with app.app_context():
        update_record(db.session.get(User, before.id), {"full_name": "Meanwhile"})
        db.session.commit()
    html = _edit(admin, before, full_name="Mine").get_data(as_text=True)
    assert "changed by someone else" in html
    assert get_user(app, "target").full_name == "Meanwhile"


def test_a_manager_allowed_to_edit_users_still_cannot_grant_roles(app, signed_in, make_user, monkeypatch):
    """The field grant lives in the matrix and the services, so the panel keeps it as the API does."""
    from erp_admin.auth import roles

    monkeypatch.setitem(roles.ROLE_MATRIX, "users", {"user": (), "manager": ("read", "update"),
                                                      "admin": ("read", "create", "update", "delete")})
    manager = signed_in("manager")
    make_user("target", role="user")
    target = get_user(app, "target")
    html = _edit(manager, target, role="admin").get_data(as_text=True)
    assert "may not set role" in html
    assert get_user(app, "target").role == "user"
    _edit(manager, get_user(app, "target"), full_name="Renamed")
    assert get_user(app, "target").full_name == "Renamed"
