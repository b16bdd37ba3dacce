"""The fast inline-edit links (erp_admin/admin/widgets.py) carry exactly Flask-Admin's attributes."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask_admin.model.widgets import XEditableWidget
from wtforms import BooleanField, Form, IntegerField, StringField, TextAreaField

from erp_admin.admin.widgets import FastXEditableWidget, html_attributes


class _Link(HTMLParser):
    def handle_starttag(self, tag, attrs):
        self.tag, self.attrs = tag, dict(attrs)

    def handle_data(self, data):
        self.text = getattr(self, "text", "") + data


def parse(markup) -> tuple[str, dict, str]:
    parser = _Link()
    parser.feed(str(markup))
    return parser.tag, parser.attrs, getattr(parser, "text", "")


class Sample(Form):
    name = StringField()
    notes = TextAreaField()
    count = IntegerField()
    active = BooleanField()


@pytest.mark.parametrize("field_name", ["name", "notes", "count", "active"])
@pytest.mark.parametrize("display", ["plain", '<img src=x onerror=alert(1)> & "q"', ""])
def test_same_link_as_flask_admin(app, field_name, display):
    with app.test_request_context():
        field = Sample()[field_name]
        ours = FastXEditableWidget()(field, pk=7, display_value=display, csrf="tok&en")
        theirs = XEditableWidget()(field, pk=7, display_value=display, csrf="tok&en")
    assert parse(ours) == parse(theirs)
    assert "<img" not in str(ours)  # escaped, never markup


def test_attributes_are_sorted_escaped_and_boolean_aware():
    assert html_attributes({"b": "1", "a": 'x"y<', "data_role": "r", "hidden": True, "disabled": False, "class_": "c"}) \
        == 'a="x&#34;y&lt;" b="1" class="c" data-role="r" hidden'


def test_a_missing_primary_key_is_refused(app):
    with app.test_request_context(), pytest.raises(ValueError):
        FastXEditableWidget()(Sample()["name"], display_value="x")


@pytest.mark.parametrize("view_name", ["ProductView", "CustomerView", "UserView"])
def test_every_record_list_uses_it(app, view_name):
    with app.test_request_context():
        view = next(v for v in app.extensions["admin"][0]._views if type(v).__name__ == view_name)
        form = view._list_form_class()
        assert view.column_editable_list
        for name in view.column_editable_list:
            assert isinstance(form[name].widget, FastXEditableWidget), name


def test_the_list_page_renders_inline_edit_links(app, signed_in):
    from tests.factories import create_product

    with app.app_context():
        product = create_product(name="Lamp & <shade>", category="Home")
    html = signed_in("manager").client.get("/admin/products/").get_data(as_text=True)
    assert f'data-pk="{product.id}"' in html and 'data-role="x-editable"' in html
    assert "Lamp &amp; &lt;shade&gt;" in html and "<shade>" not in html


class _Tags(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def action_cells(html: str) -> list[list]:
    """The tags of every row's action cell; a CSRF token's value (signed with the time) reads as <token>."""
    cells = []
    for chunk in html.split('<td class="list-buttons-column">')[1:]:
        parser = _Tags()
        parser.feed(chunk.split("</td>")[0])
        for _, attrs in parser.tags:
            if attrs.get("name") == "csrf_token":
                assert attrs.get("value")
                attrs["value"] = "<token>"
        cells.append(parser.tags)
    return cells


@pytest.mark.parametrize("url", ["/admin/products/", "/admin/products/?search=lamp&page_size=50",
                                 "/admin/customers/", "/admin/users/"])
def test_row_actions_are_flask_admins_markup(app, signed_in, monkeypatch, url):
    """View / Edit / Delete links and forms: the same tags and attributes as Flask-Admin's macros write."""
    from erp_admin.admin import records
    from tests.factories import create_customer, create_product

    with app.app_context():
        for i in range(3):
            create_product(name=f"Lamp {i} & <b>", category="Home")
            create_customer(name=f"Customer {i}", email=f"c{i}@example.com")
    admin = signed_in("admin")
    fast = action_cells(admin.client.get(url).get_data(as_text=True))
    monkeypatch.setattr(records, "fast_row_actions", lambda actions: actions)  # Flask-Admin's own
    original = action_cells(admin.client.get(url).get_data(as_text=True))
    assert fast and len(fast) == len(original)
    for ours, theirs in zip(fast, original):
        assert [tag for tag in ours if tag[1].get("title") != "Adjust stock"] == \
            [tag for tag in theirs if tag[1].get("title") != "Adjust stock"]
        assert any(tag == "form" for tag, _ in ours) and any(a.get("name") == "csrf_token" for _, a in ours)


def test_the_adjust_link_returns_to_the_exact_list_url(app, signed_in):
    from tests.factories import create_product

    with app.app_context():
        product = create_product(name="Bolt")
    html = signed_in("manager").client.get("/admin/products/?search=bolt").get_data(as_text=True)
    links = [a for cell in action_cells(html) for tag, a in cell if a.get("title") == "Adjust stock"]
    assert [a["href"] for a in links] == [f"/admin/products/adjust/?id={product.id}&url=/admin/products/?search%3Dbolt"]


def test_row_action_links_follow_the_role(app, signed_in):
    """A manager may only read users: their rows offer View, no Edit and no Delete (the matrix decides)."""
    signed_in("admin")  # a user row to list
    cells = action_cells(signed_in("manager").client.get("/admin/users/").get_data(as_text=True))
    titles = {a.get("title") for cell in cells for _, a in cell if a.get("title")}
    assert cells and titles == {"View Record"}
