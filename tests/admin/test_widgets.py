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
