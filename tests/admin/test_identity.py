"""A panel session is honoured only for the user who signed in, even when their id comes back for someone else."""
from __future__ import annotations

from sqlalchemy import insert, select

from erp_admin.extensions import db
from erp_admin.models import PanelSession, User
from tests.factories import reuse_user_id


def test_a_panel_session_is_refused_when_its_users_id_comes_back_for_someone_else(app, signed_in):
    panel = signed_in("manager", "victim")
    assert panel.client.get("/admin/").status_code == 200
    with app.app_context():
        victim = db.session.scalar(select(User).where(User.username == "victim"))
        victim_id = victim.id
        sessions = [dict(r._mapping) for r in db.session.execute(select(PanelSession.__table__))]
        db.session.delete(victim)  # its panel sessions go with it (ON DELETE CASCADE)
        db.session.commit()
        # The id comes back for another user, the victim's session record with it (a restored backup).
        reuse_user_id(victim_id)
        db.session.execute(insert(PanelSession.__table__), sessions)
        db.session.commit()
    response = panel.client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login/")
