"""The catalog order-form engine: definitions checked, forms built and cleaned to typed answers, show-if."""

import datetime
import json
from decimal import Decimal

import pytest
import time_machine
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.template.loader import render_to_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmdb.models import CIStatus, CIType, ConfigurationItem
from requests_catalog.form_engine import (
    FIELD_TYPES,
    InvalidDefinition,
    OrderForm,
    TypedAnswer,
    UserField,
    answer_to_json,
    answers_from,
    build_order_form,
    json_value,
    validate_definition,
    visible_keys,
)

from ..factories import EXE_BYTES, PDF_BYTES, PNG_BYTES, UserFactory, upload

pytestmark = pytest.mark.django_db


def field(key, type_="text", **settings):
    return {"key": key, "label": key.replace("_", " ").title(), "type": type_, **settings}


def posted(definition, data=None, files=None, user=None, **kwargs):
    """A bound form for a definition, already validated."""
    form = build_order_form(definition, user=user, data=data or {}, files=files or {}, **kwargs)
    form.is_valid()
    return form


def answers(definition, data=None, files=None, user=None) -> dict[str, TypedAnswer]:
    form = posted(definition, data, files, user)
    assert form.is_valid(), form.errors
    return {answer.key: answer for answer in answers_from(form)}


OS = field("os", "choice", choices=[{"value": "linux", "label": "Linux"}, {"value": "windows", "label": "Windows"}])


# -- every type: widget and typed value --------------------------------------------------------------


def test_field_types_are_the_contract():
    assert FIELD_TYPES == (
        "text",
        "textarea",
        "number",
        "date",
        "choice",
        "multichoice",
        "user",
        "ci",
        "attachment",
        "checkbox",
    )


@pytest.mark.parametrize(
    ("type_", "extra", "form_field", "widget", "css"),
    [
        ("text", {}, forms.CharField, forms.TextInput, "form-control"),
        ("textarea", {}, forms.CharField, forms.Textarea, "form-control"),
        ("number", {}, forms.DecimalField, forms.NumberInput, "form-control"),
        ("date", {}, forms.DateField, forms.DateInput, "form-control"),
        ("choice", {"choices": [{"value": "a", "label": "A"}]}, forms.ChoiceField, forms.Select, "form-select"),
        (
            "multichoice",
            {"choices": [{"value": "a", "label": "A"}]},
            forms.MultipleChoiceField,
            forms.CheckboxSelectMultiple,
            "form-check-input",
        ),
        ("user", {}, UserField, forms.TextInput, "form-control"),
        ("ci", {}, forms.ModelChoiceField, forms.Select, "form-select"),
        ("attachment", {}, forms.FileField, forms.FileInput, "form-control"),
        ("checkbox", {}, forms.BooleanField, forms.CheckboxInput, "form-check-input"),
    ],
)
def test_each_type_builds_its_django_field(type_, extra, form_field, widget, css):
    form = build_order_form([field("thing", type_, **extra)], user=None)
    built = form.fields["thing"]
    assert isinstance(form, OrderForm)
    assert isinstance(built, form_field)
    assert isinstance(built.widget, widget)
    assert css in built.widget.attrs["class"]
    assert built.label == "Thing"


def test_fields_keep_the_definition_order_and_limits():
    form = build_order_form([field("b"), field("a", "textarea"), field("c", "text", max=20)], user=None)
    assert list(form.fields) == ["b", "a", "c"]
    assert form.fields["b"].max_length == 1000
    assert form.fields["a"].max_length == 10000
    assert form.fields["c"].max_length == 20
    assert 'type="date"' in str(build_order_form([field("d", "date")], user=None)["d"])


def test_every_type_cleans_to_its_typed_value(alice, lin):
    # An end user picks among the CIs they own (and those offered to everyone).
    server = ConfigurationItem.objects.create(name="srv-01", ci_type=CIType.SERVER, owned_by=alice)
    definition = [
        field("reason"),
        field("details", "textarea"),
        field("ram_gb", "number"),
        field("needed_by", "date"),
        OS,
        field("apps", "multichoice", choices=[{"value": "git", "label": "Git"}, {"value": "vim", "label": "Vim"}]),
        field("manager", "user"),
        field("server", "ci"),
        field("quote", "attachment"),
        field("urgent", "checkbox"),
    ]
    data = {
        "reason": "  new hire  ",
        "details": "line 1\nline 2",
        "ram_gb": "16.5",
        "needed_by": "2030-05-01",
        "os": "linux",
        "apps": ["git", "vim"],
        "manager": "lin",
        "server": str(server.pk),
        "urgent": "on",
    }
    got = answers(definition, data, {"quote": upload("quote.pdf", PDF_BYTES)}, user=alice)

    assert got["reason"].value == "new hire"
    assert got["details"].value == "line 1\nline 2"
    assert got["ram_gb"].value == Decimal("16.5")
    assert got["needed_by"].value == datetime.date(2030, 5, 1)
    assert got["os"].value == "linux"
    assert got["apps"].value == ["git", "vim"]
    assert got["manager"].value == lin
    assert got["server"].value == server
    assert isinstance(got["quote"].value, UploadedFile)
    assert got["urgent"].value is True
    assert [a.key for a in got.values()] == [f["key"] for f in definition]


# -- required, help text, defaults -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "extra"),
    [
        ("text", {}),
        ("textarea", {}),
        ("number", {}),
        ("date", {}),
        ("choice", {"choices": [{"value": "a", "label": "A"}]}),
        ("multichoice", {"choices": [{"value": "a", "label": "A"}]}),
        ("user", {}),
        ("ci", {}),
        ("attachment", {}),
        ("checkbox", {}),
    ],
)
def test_required_fields_must_be_answered(type_, extra):
    required = posted([field("thing", type_, required=True, **extra)])
    assert not required.is_valid()
    assert "thing" in required.errors
    optional = posted([field("thing", type_, **extra)])
    assert optional.is_valid(), optional.errors


def test_a_required_checkbox_must_be_ticked():
    definition = [field("accept_policy", "checkbox", required=True)]
    assert not posted(definition, {}).is_valid()
    assert answers(definition, {"accept_policy": "on"})["accept_policy"].value is True


def test_an_optional_choice_offers_an_empty_option_a_required_one_does_not():
    assert build_order_form([OS], user=None).fields["os"].choices[0] == ("", "---------")
    required = build_order_form([{**OS, "required": True}], user=None)
    assert required.fields["os"].choices[0] == ("linux", "Linux")


def test_help_text_and_defaults_become_help_and_initial_values():
    definition = [
        field("ram_gb", "number", default=16, help_text="Most people need 16."),
        field("needed_by", "date", default="2030-01-31"),
        field("apps", "multichoice", choices=[{"value": "git", "label": "Git"}], default=["git"]),
        field("urgent", "checkbox", default=True),
        {**OS, "default": "windows"},
    ]
    form = build_order_form(definition, user=None)
    assert form.fields["ram_gb"].help_text == "Most people need 16."
    assert form["ram_gb"].value() == 16
    assert form["needed_by"].value() == datetime.date(2030, 1, 31)
    assert form["apps"].value() == ["git"]
    assert form["urgent"].value() is True
    assert form["os"].value() == "windows"
    assert 'value="2030-01-31"' in str(form["needed_by"])


def test_initial_given_by_the_caller_wins_over_the_default():
    form = build_order_form([field("ram_gb", "number", default=16)], user=None, initial={"ram_gb": 32})
    assert form["ram_gb"].value() == 32


# -- regex and bounds --------------------------------------------------------------------------------


def test_regex_must_match_the_whole_answer():
    definition = [field("asset_tag", regex=r"[A-Z]{2}\d+")]
    assert answers(definition, {"asset_tag": "AB123"})["asset_tag"].value == "AB123"
    partial = posted(definition, {"asset_tag": "xAB123x"})
    assert partial.errors["asset_tag"] == ["Enter a value in the format asked for."]


def test_regex_message_is_shown_when_given():
    definition = [field("asset_tag", regex=r"[A-Z]{2}\d+", regex_message="Like AB123.")]
    assert posted(definition, {"asset_tag": "ab"}).errors["asset_tag"] == ["Like AB123."]


@pytest.mark.parametrize(("value", "ok"), [("0.5", False), ("1", True), ("64", True), ("64.01", False), ("x", False)])
def test_number_bounds(value, ok):
    assert posted([field("ram_gb", "number", min=1, max=64)], {"ram_gb": value}).is_valid() is ok


@pytest.mark.parametrize(("value", "ok"), [("ab", False), ("abc", True), ("abcde", True), ("abcdef", False)])
def test_text_length_bounds(value, ok):
    assert posted([field("code", min=3, max=5)], {"code": value}).is_valid() is ok


@pytest.mark.parametrize(
    ("value", "ok"), [("2029-12-31", False), ("2030-01-01", True), ("2030-06-30", True), ("2030-07-01", False)]
)
def test_date_bounds(value, ok):
    definition = [field("needed_by", "date", min="2030-01-01", max="2030-06-30")]
    assert posted(definition, {"needed_by": value}).is_valid() is ok


@time_machine.travel(datetime.datetime(2030, 3, 15, 12, tzinfo=datetime.UTC), tick=False)
def test_date_min_today_refuses_past_dates():
    definition = [field("needed_by", "date", min="today")]
    assert 'min="2030-03-15"' in str(build_order_form(definition, user=None)["needed_by"])
    assert posted(definition, {"needed_by": "2030-03-15"}).is_valid()
    past = posted(definition, {"needed_by": "2030-03-14"})
    assert past.errors["needed_by"] == ["The date may not be before 2030-03-15."]


@time_machine.travel(datetime.datetime(2030, 3, 15, 12, tzinfo=datetime.UTC), tick=False)
def test_date_max_today_refuses_future_dates():
    definition = [field("started_on", "date", max="today")]
    assert posted(definition, {"started_on": "2030-03-15"}).is_valid()
    assert not posted(definition, {"started_on": "2030-03-16"}).is_valid()


@pytest.mark.parametrize(("picked", "ok"), [([], True), (["a"], False), (["a", "b"], True), (["a", "b", "c"], False)])
def test_multichoice_counts(picked, ok):
    choices = [{"value": v, "label": v.upper()} for v in "abcd"]
    # Optional: nothing picked is fine, but what is picked must be between min and max.
    assert posted([field("apps", "multichoice", choices=choices, min=2, max=2)], {"apps": picked}).is_valid() is ok


def test_values_outside_the_choices_are_refused():
    assert "os" in posted([OS], {"os": "macos"}).errors
    apps = field("apps", "multichoice", choices=[{"value": "git", "label": "Git"}])
    assert "apps" in posted([apps], {"apps": ["git", "emacs"]}).errors


# -- user and CI pickers -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["lin", "LIN", "lin@example.com", " Lin@Example.com "])
def test_user_picker_takes_a_username_or_an_email(lin, typed):
    assert answers([field("manager", "user")], {"manager": typed})["manager"].value == lin


def test_user_picker_refuses_unknown_and_inactive_users(alice):
    alice.is_active = False
    alice.save()
    for typed in ("alice", "alice@example.com", "nobody", "nobody@example.com"):
        form = posted([field("manager", "user")], {"manager": typed})
        assert form.errors["manager"] == ["No active user with that username or email."], typed


def test_user_picker_asks_for_the_username_when_an_email_is_shared(db):
    UserFactory(username="ann", email="team@example.com")
    UserFactory(username="max", email="team@example.com")
    form = posted([field("manager", "user")], {"manager": "team@example.com"})
    assert form.errors["manager"] == ["Several users have that email address: enter the username."]
    assert answers([field("manager", "user")], {"manager": "max"})["manager"].value.username == "max"


def test_user_picker_shows_the_username_of_an_initial_user(lin):
    form = build_order_form([field("manager", "user")], user=None, initial={"manager": lin})
    assert 'value="lin"' in str(form["manager"])


def test_ci_picker_offers_in_use_items_of_the_given_types(lin):
    laptop = ConfigurationItem.objects.create(name="LT-001", ci_type=CIType.WORKSTATION)
    ConfigurationItem.objects.create(name="LT-OLD", ci_type=CIType.WORKSTATION, status=CIStatus.RETIRED)
    server = ConfigurationItem.objects.create(name="srv-01", ci_type=CIType.SERVER)
    definition = [field("device", "ci", ci_types=["workstation"])]

    form = build_order_form(definition, user=lin)
    assert list(form.fields["device"].queryset) == [laptop]
    assert answers(definition, {"device": str(laptop.pk)}, user=lin)["device"].value == laptop
    assert "device" in posted(definition, {"device": str(server.pk)}, user=lin).errors


def test_ci_picker_refuses_a_retired_item(lin):
    retired = ConfigurationItem.objects.create(name="old-app", ci_type=CIType.APPLICATION, status=CIStatus.RETIRED)
    in_use = ConfigurationItem.objects.create(name="new-app", ci_type=CIType.APPLICATION)
    assert "app" not in posted([field("app", "ci")], {"app": str(in_use.pk)}, user=lin).errors
    assert "app" in posted([field("app", "ci")], {"app": str(retired.pk)}, user=lin).errors


# -- attachments -------------------------------------------------------------------------------------


def test_an_allowed_attachment_is_accepted():
    got = answers([field("screenshot", "attachment")], files={"screenshot": upload("screen.png", PNG_BYTES)})
    assert got["screenshot"].display == "screen.png"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", EXE_BYTES, "files of this type are not accepted"),
        ("invoice.pdf", EXE_BYTES, "does not look like a .pdf file"),
        ("invoice.pdf", b"just text", "does not look like a .pdf file"),
    ],
)
def test_a_refused_attachment_is_a_field_error(name, content, message):
    form = posted([field("quote", "attachment")], files={"quote": upload(name, content)})
    assert message in form.errors["quote"][0]


def test_the_file_input_accepts_the_allowed_extensions(settings):
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["pdf", "png"]
    form = build_order_form([field("quote", "attachment")], user=None)
    assert form.fields["quote"].widget.attrs["accept"] == ".pdf,.png"


# -- show if -----------------------------------------------------------------------------------------

SHOW_IF = [
    OS,
    field(
        "distro",
        "choice",
        show_if={"field": "os", "equals": "linux"},
        choices=[
            {"value": "deb", "label": "Debian"},
            {"value": "rpm", "label": "Fedora"},
            {"value": "arch", "label": "Arch"},
        ],
    ),
    field("kernel", show_if={"field": "distro", "in": ["deb", "rpm"]}),
    field("needs_admin", "checkbox"),
    field("justification", "textarea", required=True, show_if={"field": "needs_admin", "checked": True}),
    field("why_not", show_if={"field": "needs_admin", "checked": False}),
    field("apps", "multichoice", choices=[{"value": "git", "label": "Git"}, {"value": "vim", "label": "Vim"}]),
    field("vim_plugins", show_if={"field": "apps", "equals": "vim"}),
]
ALWAYS = {"os", "needs_admin", "apps"}


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({}, {"why_not"}),
        ({"os": "windows"}, {"why_not"}),
        ({"os": "linux"}, {"distro", "why_not"}),
        ({"os": "linux", "distro": "deb"}, {"distro", "kernel", "why_not"}),
        ({"os": "linux", "distro": "arch"}, {"distro", "why_not"}),
        # Transitive: distro is hidden, so kernel is too whatever distro says.
        ({"os": "windows", "distro": "deb"}, {"why_not"}),
        ({"needs_admin": "on"}, {"justification"}),
        ({"needs_admin": True}, {"justification"}),
        ({"needs_admin": "false"}, {"why_not"}),
        ({"needs_admin": ""}, {"why_not"}),
        ({"apps": ["git", "vim"]}, {"vim_plugins", "why_not"}),
        ({"apps": ["git"]}, {"why_not"}),
        ({"apps": "vim"}, {"vim_plugins", "why_not"}),
    ],
)
def test_visible_keys(values, shown):
    assert visible_keys(SHOW_IF, values) == ALWAYS | shown


def test_visible_keys_reads_a_query_dict():
    post = QueryDict("os=linux&distro=deb&apps=git&apps=vim&needs_admin=on")
    assert visible_keys(SHOW_IF, post) == ALWAYS | {"distro", "kernel", "vim_plugins", "justification"}


def test_a_hidden_required_field_does_not_block_the_submit():
    form = posted(SHOW_IF, {"os": "windows"})
    assert form.is_valid(), form.errors
    assert "justification" in posted(SHOW_IF, {"needs_admin": "on"}).errors


def test_a_hidden_field_gives_no_answer_even_when_posted():
    got = answers(SHOW_IF, {"os": "windows", "distro": "deb", "kernel": "6.1", "why_not": "no", "justification": "x"})
    assert set(got) == {"os", "needs_admin", "why_not"}
    assert got["needs_admin"].value is False


def test_a_hidden_field_with_a_bad_value_does_not_block_either():
    definition = [
        field("has_tag", "checkbox"),
        field("tag", "number", min=1, show_if={"field": "has_tag", "checked": True}),
    ]
    form = posted(definition, {"tag": "not a number"})
    assert form.is_valid(), form.errors
    assert "tag" not in form.cleaned_data


def test_show_if_works_with_a_form_prefix():
    form = posted(SHOW_IF, {"item-os": "linux", "item-distro": "deb", "item-kernel": "6.1"}, prefix="item")
    assert form.is_valid(), form.errors
    assert form.visible == ALWAYS | {"distro", "kernel", "why_not"}
    assert [a.key for a in answers_from(form)] == ["os", "distro", "kernel", "needs_admin"]  # why_not was left empty
    rule = json.loads(form.fields["kernel"].show_if_json)
    assert rule == {"field": "distro", "in": ["deb", "rpm"], "name": "item-distro"}


def test_the_template_renders_wrappers_for_the_script(alice):
    form = posted(SHOW_IF, {"needs_admin": "on"})
    html = render_to_string("requests_catalog/_order_form_fields.html", {"form": form})
    assert 'data-field-name="os"' in html
    assert 'data-show-if="{&quot;field&quot;: &quot;os&quot;, &quot;equals&quot;: &quot;linux&quot;' in html
    assert 'class="form-control is-invalid"' in html  # the required justification was left empty
    assert 'class="invalid-feedback d-block" id="id_justification_error"' in html
    assert html.count('class="form-check-input"') == 3  # needs_admin, and git and vim


def test_the_template_shows_help_and_required_markers():
    definition = [field("reason", required=True, help_text="Tell us <why>.")]
    html = render_to_string(
        "requests_catalog/_order_form_fields.html", {"form": build_order_form(definition, user=None)}
    )
    assert "Tell us &lt;why&gt;." in html
    assert 'id="id_reason_helptext"' in html
    assert 'class="text-danger"' in html


# -- answers -----------------------------------------------------------------------------------------


def test_answers_display_human_text(alice, lin):
    lin.first_name, lin.last_name = "Lin", "Wei"
    lin.save()
    alice.first_name = alice.last_name = ""
    alice.save()
    server = ConfigurationItem.objects.create(name="srv-01", ci_type=CIType.SERVER)
    definition = [
        OS,
        field("apps", "multichoice", choices=[{"value": "git", "label": "Git"}, {"value": "vim", "label": "Vim"}]),
        field("urgent", "checkbox"),
        field("accept", "checkbox"),
        field("manager", "user"),
        field("backup", "user"),
        field("server", "ci"),
        field("needed_by", "date"),
        field("ram_gb", "number"),
        field("quote", "attachment"),
    ]
    data = {
        "os": "linux",
        "apps": ["git", "vim"],
        "accept": "on",
        "manager": "lin",
        "backup": "alice",
        "server": str(server.pk),
        "needed_by": "2030-05-01",
        "ram_gb": "1e2",
    }
    got = answers(definition, data, {"quote": upload("quote.pdf", PDF_BYTES)}, user=lin)
    displays = {key: answer.display for key, answer in got.items()}
    assert displays == {
        "os": "Linux",
        "apps": "Git, Vim",
        "urgent": "No",
        "accept": "Yes",
        "manager": "Lin Wei",
        "backup": "alice",
        "server": "srv-01",
        "needed_by": "2030-05-01",
        "ram_gb": "100",
        "quote": "quote.pdf",
    }
    assert got["os"].label == "Os"


def test_empty_optional_answers_are_left_out_but_a_checkbox_always_answers():
    definition = [
        field("reason"),
        field("ram_gb", "number"),
        field("apps", "multichoice", choices=[{"value": "a", "label": "A"}]),
    ]
    definition += [field("urgent", "checkbox")]
    got = answers(definition, {"reason": "  ", "ram_gb": "0"})
    assert set(got) == {"ram_gb", "urgent"}  # zero is an answer
    assert got["ram_gb"].value == Decimal(0)


def test_json_values(lin):
    server = ConfigurationItem.objects.create(name="srv-01", ci_type=CIType.SERVER)
    definition = [
        field("reason"),
        field("ram_gb", "number"),
        field("needed_by", "date"),
        field("apps", "multichoice", choices=[{"value": "git", "label": "Git"}]),
        field("urgent", "checkbox"),
        field("manager", "user"),
        field("server", "ci"),
        field("quote", "attachment"),
        OS,
    ]
    data = {
        "reason": "new hire",
        "ram_gb": "16.50",
        "needed_by": "2030-05-01",
        "apps": ["git"],
        "manager": "lin",
        "server": str(server.pk),
        "os": "linux",
    }
    got = answers(definition, data, {"quote": upload("quote.pdf", PDF_BYTES)}, user=lin)
    values = {key: json_value(answer) for key, answer in got.items()}
    assert values == {
        "reason": "new hire",
        "ram_gb": "16.50",
        "needed_by": "2030-05-01",
        "apps": ["git"],
        "urgent": False,
        "manager": {"id": lin.pk, "display": lin.get_full_name() or "lin"},
        "server": {"id": server.pk, "display": "srv-01"},
        "quote": {"filename": "quote.pdf"},
        "os": "linux",
    }
    as_json = [answer_to_json(answer) for answer in got.values()]
    assert json.loads(json.dumps(as_json))[0] == {
        "key": "reason",
        "label": "Reason",
        "type": "text",
        "value": "new hire",
        "display": "new hire",
    }


def test_answers_need_a_valid_form():
    with pytest.raises(ValueError, match="is_valid"):
        answers_from(posted([field("reason", required=True)], {}))
    with pytest.raises(ValueError, match="is_valid"):
        answers_from(build_order_form([field("reason")], user=None))


# -- checking definitions ----------------------------------------------------------------------------

GOOD = [
    {"key": "os", "label": "Operating system", "type": "choice", "required": True, **{k: OS[k] for k in ("choices",)}},
    {"key": "ram_gb", "label": "Memory (GB)", "type": "number", "default": 16, "min": 1, "max": 64.5},
    {"key": "asset_tag", "label": "Asset tag", "type": "text", "regex": r"^[A-Z]{2}\d+$", "regex_message": "AB1"},
    {"key": "notes", "label": "Notes", "type": "textarea", "max": 2000, "help_text": "Anything else?"},
    {"key": "needed_by", "label": "Needed by", "type": "date", "min": "today", "max": "2099-12-31"},
    {"key": "start", "label": "Start", "type": "date", "min": "2030-01-01", "default": "2030-02-01"},
    {
        "key": "apps",
        "label": "Apps",
        "type": "multichoice",
        "choices": [{"value": "git", "label": "Git"}, {"value": "vim", "label": "Vim"}],
        "min": 1,
        "max": 2,
        "default": ["git"],
    },
    {"key": "manager", "label": "Manager", "type": "user"},
    {"key": "device", "label": "Device", "type": "ci", "ci_types": ["workstation", "server"]},
    {"key": "quote", "label": "Quote", "type": "attachment", "required": False},
    {"key": "accept", "label": "I accept", "type": "checkbox", "required": True, "default": False},
    {"key": "distro", "label": "Distro", "type": "text", "show_if": {"field": "os", "equals": "linux"}},
    {"key": "vim_rc", "label": "vimrc", "type": "textarea", "show_if": {"field": "apps", "in": ["vim"]}},
    {"key": "why", "label": "Why", "type": "text", "show_if": {"field": "accept", "checked": False}},
    {"key": "kernel", "label": "Kernel", "type": "text", "show_if": {"field": "distro", "equals": "debian"}},
]


def test_a_good_definition_has_no_problems():
    assert validate_definition(GOOD) == []
    assert validate_definition([]) == []


def with_field(**changes):
    """The one-field definition [text field "note"] with changes (None removes a setting)."""
    spec = {"key": "note", "label": "Note", "type": "text"} | changes
    return [{k: v for k, v in spec.items() if v is not None}]


CHECKBOX = {"key": "agree", "label": "Agree", "type": "checkbox"}
CHOICE = {"key": "os", "label": "OS", "type": "choice", "choices": [{"value": "linux", "label": "Linux"}]}
MULTICHOICE = CHOICE | {"type": "multichoice"}


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ({"fields": []}, "must be a list of fields"),
        ("[]", "must be a list of fields"),
        (None, "must be a list of fields"),
        (["note"], "Field #1: each field must be an object"),
        (with_field(key=None), "the key (not text) must start"),
        (with_field(key="Note"), "the key 'Note' must start"),
        (with_field(key="9lives"), "must start with a lowercase letter"),
        (with_field(key="a" * 51), "must start with a lowercase letter"),
        (with_field() + with_field(), "Field note: the key is used by an earlier field"),
        (with_field(label=None), "Field note: a label is required"),
        (with_field(label="  "), "a label is required"),
        (with_field(label=3), "a label is required"),
        (with_field(label="x" * 201), "longer than 200 characters"),
        (with_field(type="slider"), "unknown type 'slider'"),
        (with_field(type=None), "unknown type (not text)"),
        (with_field(colour="red"), "unknown settings colour"),
        (with_field(required="yes"), "required must be true or false"),
        (with_field(help_text=["x"]), "help_text must be text"),
        (with_field(regex="[unclosed"), "the regex is not a valid regular expression"),
        (with_field(regex=5), "the regex is not a valid regular expression"),
        (with_field(type="number", regex="x"), "regex is not allowed for a number field"),
        (with_field(type="choice"), "choices must be a non-empty list"),
        (with_field(type="choice", choices=[]), "choices must be a non-empty list"),
        (with_field(type="multichoice", choices="a,b"), "choices must be a non-empty list"),
        (with_field(type="choice", choices=["a"]), "choice 1 must be an object with exactly value and label"),
        (with_field(type="choice", choices=[{"value": "a"}]), "choice 1 must be an object"),
        (with_field(type="choice", choices=[{"value": "", "label": "A"}]), "choice 1 needs a non-empty text value"),
        (with_field(type="choice", choices=[{"value": 1, "label": "A"}]), "choice 1 needs a non-empty text value"),
        (with_field(type="choice", choices=[{"value": "a", "label": ""}]), "choice 1 needs a label"),
        (
            with_field(type="choice", choices=[{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]),
            "the choice value 'a' is used twice",
        ),
        (with_field(choices=[{"value": "a", "label": "A"}]), "choices is not allowed for a text field"),
        (with_field(default=5), "the default must be text"),
        (with_field(default="abc", max=2), "the default is outside min/max"),
        (with_field(default="x" * 1001), "the default is outside min/max"),
        (with_field(default="ab", regex="[0-9]+"), "the default does not match the regex"),
        (with_field(type="number", default="16"), "the default must be a number"),
        (with_field(type="number", default=True), "the default must be a number"),
        (with_field(type="number", default=100, max=64), "the default is outside min/max"),
        (with_field(type="number", default=0, min=1), "the default is outside min/max"),
        (with_field(type="date", default="01/02/2030"), 'the default must be a date as "YYYY-MM-DD"'),
        (with_field(type="date", default="2030-02-30"), "the default must be a date"),
        (with_field(type="date", default="2029-12-31", min="2030-01-01"), "the default is outside min/max"),
        (with_field(type="checkbox", default="on"), "the default must be true or false"),
        (with_field(**CHOICE, default="windows"), "the default must be one of the choice values"),
        (with_field(**MULTICHOICE, default="linux"), "the default must be a list of choice values"),
        (with_field(**MULTICHOICE, default=["mac"]), "only choice values"),
        (with_field(**MULTICHOICE, default=["linux", "linux"]), "at most once"),
        (with_field(type="user", default="alice"), "default is not allowed for a user field"),
        (with_field(type="ci", default=1), "default is not allowed for a ci field"),
        (with_field(type="attachment", default="a.pdf"), "default is not allowed for a attachment field"),
        (with_field(min=5, max=2), "min is greater than max"),
        (with_field(type="number", min=5, max=2.5), "min is greater than max"),
        (with_field(type="date", min="2030-02-01", max="2030-01-01"), "min is greater than max"),
        (with_field(type="number", min="1"), "min must be a number"),
        (with_field(type="number", max=float("nan")), "max must be a number"),
        (with_field(type="number", max=float("inf")), "max must be a number"),
        (with_field(min=-1), "min must be a whole number, 0 or more"),
        (with_field(max=2.5), "max must be a whole number, 0 or more"),
        (with_field(max=1001), "max may be at most 1000 for a text field"),
        (with_field(type="textarea", max=10001), "max may be at most 10000"),
        (with_field(type="date", min="tomorrow"), 'min must be a date as "YYYY-MM-DD" or "today"'),
        (with_field(type="checkbox", min=1), "min is not allowed for a checkbox field"),
        (with_field(**MULTICHOICE, min=2), "min asks for more picks than there are choices"),
        (with_field(type="ci", ci_types="server"), "ci_types must be a non-empty list"),
        (with_field(type="ci", ci_types=[]), "ci_types must be a non-empty list"),
        (with_field(type="ci", ci_types=["spaceship"]), "ci_types may only hold"),
        (with_field(ci_types=["server"]), "ci_types is not allowed for a text field"),
        (with_field(show_if="os == linux"), "show_if must be an object"),
        (with_field(show_if={"equals": "linux"}), "show_if must be an object"),
        (with_field(show_if={"field": "note", "equals": "x"}), "show_if cannot refer to the field itself"),
        (with_field(show_if={"field": "os", "equals": "linux"}), "show_if refers to an unknown field 'os'"),
        ([*with_field(show_if={"field": "os", "equals": "linux"}), CHOICE], "refers to 'os', which must come earlier"),
        ([CHOICE, *with_field(show_if={"field": "os"})], "exactly one of equals, in or checked"),
        ([CHOICE, *with_field(show_if={"field": "os", "equals": "linux", "in": ["linux"]})], "exactly one of"),
        ([CHOICE, *with_field(show_if={"field": "os", "equal": "linux"})], "exactly one of"),
        ([CHOICE, *with_field(show_if={"field": "os", "equals": "mac"})], "not among the choices of 'os'"),
        ([CHOICE, *with_field(show_if={"field": "os", "in": ["linux", "mac"]})], "not among the choices"),
        ([CHOICE, *with_field(show_if={"field": "os", "in": []})], "in a non-empty list of them"),
        ([CHOICE, *with_field(show_if={"field": "os", "in": "linux"})], "in a non-empty list"),
        ([CHOICE, *with_field(show_if={"field": "os", "equals": 1})], "show_if equals needs a text value"),
        ([CHOICE, *with_field(show_if={"field": "os", "checked": True})], "'os' is not one"),
        ([CHECKBOX, *with_field(show_if={"field": "agree", "equals": "on"})], "not 'agree'"),
        ([CHECKBOX, *with_field(show_if={"field": "agree", "checked": "yes"})], "checked must be true or false"),
        ([with_field(type="number")[0] | {"key": "n"}, *with_field(show_if={"field": "n", "equals": "1"})], "not 'n'"),
    ],
)
def test_validate_definition_names_each_problem(definition, problem):
    problems = validate_definition(definition)
    assert any(problem in message for message in problems), problems


def test_every_problem_is_reported_not_only_the_first():
    problems = validate_definition(
        [{"key": "A", "type": "slider"}, {"key": "ok", "label": "OK", "type": "text", "x": 1}]
    )
    assert len(problems) == 4, problems
    assert [p.split(":")[0] for p in problems] == ["Field #1", "Field #1", "Field #1", "Field ok"]


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "",
        "fields",
        42,
        3.5,
        True,
        {},
        [None],
        [[]],
        [{}],
        [{"key": ["a"], "label": {"x": 1}, "type": ["text"]}],
        [{"key": "a", "label": "A", "type": "choice", "choices": [{"value": ["x"], "label": None}, None, 5]}],
        [{"key": "a", "label": "A", "type": "number", "min": 10**400, "max": [1], "default": {"x": 1}}],
        [{"key": "a", "label": "A", "type": "date", "min": {}, "max": 5, "default": []}],
        [{"key": "a", "label": "A", "type": "text", "show_if": {"field": ["b"], "in": {"x": 1}}}],
        [{"key": "a", "label": "A", "type": "multichoice", "choices": [{"value": "x", "label": "X"}], "default": [[]]}],
        [
            {"key": "a", "label": "A", "type": "checkbox"},
            {"key": "b", "label": "B", "type": "text", "show_if": {"field": "a", "checked": None}},
        ],
        [{("tuple",): 1, 5: "five", "key": "a", "label": "A", "type": "text"}],
        [{"key": "a", "label": "A", "type": "text", "regex": "(" * 500}],
        [{"key": "a", "label": "A", "type": "ci", "ci_types": [None, ["server"]]}],
    ],
)
def test_validate_definition_never_raises_on_junk(junk):
    assert isinstance(validate_definition(junk), list)
    assert validate_definition(junk)  # and none of it is a valid definition


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
SETTING = st.sampled_from(["key", "label", "type", "required", "default", "choices", "min", "max", "show_if", "regex"])
FIELD_LIKE = st.dictionaries(SETTING, JSON | st.sampled_from([*FIELD_TYPES, "a", "today", "2030-01-01"]), max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(FIELD_LIKE | JSON, max_size=5) | JSON)
def test_validate_definition_never_raises_on_generated_junk(junk):
    problems = validate_definition(junk)
    assert all(isinstance(problem, str) for problem in problems)


def test_building_a_form_from_a_bad_definition_raises_with_the_problems():
    with pytest.raises(InvalidDefinition) as raised:
        build_order_form([{"key": "x", "type": "text"}], user=None)
    assert raised.value.problems == ["Field x: a label is required."]


def test_a_good_definition_builds_and_renders():
    form = build_order_form(GOOD, user=None)
    html = render_to_string("requests_catalog/_order_form_fields.html", {"form": form})
    assert html.count("data-field-name=") == len(GOOD)
    assert html.count("data-show-if=") == 4
