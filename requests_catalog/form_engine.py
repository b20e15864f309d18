"""Catalog order forms defined as data: check a definition, build the Django form, evaluate show-if, typed answers.

A definition is a JSON-compatible list of field dicts (see `validate_definition` for the rules). The portal renders
the form built here and validates the post with the same rules; `static/js/show-if.js` mirrors `visible_keys`.
"""

import datetime
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmdb.models import CIType, ConfigurationItem
from servicedesk.services import validate_uploads

FIELD_TYPES: tuple[str, ...] = (
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

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,49}")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
TODAY = "today"
MAX_LABEL_LENGTH = 200
# A text field's length limit when the definition gives no max, and the most a definition may allow.
TEXT_LIMITS = {"text": 1000, "textarea": 10000}

SETTINGS = frozenset(
    {"key", "label", "type", "required", "help_text", "default", "choices", "regex", "regex_message"}
    | {"min", "max", "ci_types", "show_if"}
)
# Settings that only make sense for some types; the rest apply to every type.
SETTING_TYPES = {
    "choices": {"choice", "multichoice"},
    "regex": {"text", "textarea"},
    "regex_message": {"text", "textarea"},
    "min": {"number", "text", "textarea", "date", "multichoice"},
    "max": {"number", "text", "textarea", "date", "multichoice"},
    "ci_types": {"ci"},
    "default": {"text", "textarea", "number", "date", "choice", "multichoice", "checkbox"},
}
# Which fields a show_if may look at: equality on the submitted text is only meaningful for these.
VALUE_CONTROLLERS = {"text", "textarea", "choice", "multichoice"}
CONDITIONS = ("equals", "in", "checked")


class InvalidDefinition(ValueError):
    """A form was built from a definition that `validate_definition` refuses; `problems` lists why."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# -- checking a definition ---------------------------------------------------------------------------


def _is_number(value) -> bool:
    # bool is an int to Python but never a number in a definition; JSON may carry NaN or Infinity (isfinite would
    # overflow on a huge int, which is finite anyway).
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_iso_date(value) -> bool:
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _compile(pattern) -> re.Pattern | None:
    if not isinstance(pattern, str):
        return None
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError):
        return None


def _quoted(value) -> str:
    """A submitted name for a message: strings only (a repr of nested junk could be huge or recurse)."""
    return repr(value[:60]) if isinstance(value, str) else _("(not text)")


def _choice_values(field: dict) -> list[str]:
    choices = field.get("choices")
    if not isinstance(choices, list):
        return []
    return [c["value"] for c in choices if isinstance(c, dict) and isinstance(c.get("value"), str)]


class _Checker:
    """Collects the problems of one definition; each check_* method looks at one aspect of one field."""

    def __init__(self):
        self.problems: list[str] = []
        self.earlier: dict[str, dict] = {}  # fields already checked, by key: show_if may only point at these

    def add(self, name: str, message: str, **params) -> None:
        self.problems.append(_("Field %(field)s: %(problem)s") % {"field": name, "problem": message % params})

    def run(self, fields) -> list[str]:
        if not isinstance(fields, list):
            return [_("The form definition must be a list of fields.")]
        all_keys = {f.get("key") for f in fields if isinstance(f, dict) and isinstance(f.get("key"), str)}
        for index, field in enumerate(fields):
            self.check_field(index, field, all_keys)
        return self.problems

    def check_field(self, index: int, field, all_keys: set[str]) -> None:
        key = field.get("key") if isinstance(field, dict) else None
        name = key if isinstance(key, str) and KEY_PATTERN.fullmatch(key) else f"#{index + 1}"
        if not isinstance(field, dict):
            self.add(name, _("each field must be an object with key, label and type."))
            return
        self.check_key(name, key)
        self.check_label(name, field.get("label"))
        kind = field.get("type")
        if kind not in FIELD_TYPES:
            self.add(
                name,
                _("unknown type %(type)s (use one of %(types)s)."),
                type=_quoted(kind),
                types=", ".join(FIELD_TYPES),
            )
            kind = None
        self.check_settings(name, field, kind)
        if kind:
            self.check_typed(name, field, kind)
        if "show_if" in field:
            self.check_show_if(name, key, field["show_if"], all_keys)
        if isinstance(key, str) and key not in self.earlier:
            self.earlier[key] = field

    def check_key(self, name: str, key) -> None:
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            self.add(
                name,
                _("the key %(key)s must start with a lowercase letter and have only a-z, 0-9 and _ (at most 50)."),
                key=_quoted(key),
            )
        elif key in self.earlier:
            self.add(name, _("the key is used by an earlier field; keys must be unique."))

    def check_label(self, name: str, label) -> None:
        if not isinstance(label, str) or not label.strip():
            self.add(name, _("a label is required."))
        elif len(label) > MAX_LABEL_LENGTH:
            self.add(name, _("the label is longer than %(limit)d characters."), limit=MAX_LABEL_LENGTH)

    def check_settings(self, name: str, field: dict, kind: str | None) -> None:
        unknown = sorted(k[:40] if isinstance(k, str) else "?" for k in field if k not in SETTINGS)
        if unknown:
            self.add(name, _("unknown settings %(settings)s."), settings=", ".join(unknown))
        for setting, kinds in SETTING_TYPES.items():
            if kind and setting in field and kind not in kinds:
                self.add(name, _("%(setting)s is not allowed for a %(type)s field."), setting=setting, type=kind)
        if "required" in field and not isinstance(field["required"], bool):
            self.add(name, _("required must be true or false."))
        for text_setting in ("help_text", "regex_message"):
            if text_setting in field and not isinstance(field[text_setting], str):
                self.add(name, _("%(setting)s must be text."), setting=text_setting)

    def check_typed(self, name: str, field: dict, kind: str) -> None:
        if kind in ("choice", "multichoice"):
            self.check_choices(name, field.get("choices"))
        if kind in ("text", "textarea") and "regex" in field and _compile(field["regex"]) is None:
            self.add(name, _("the regex is not a valid regular expression."))
        if kind == "ci" and "ci_types" in field:
            self.check_ci_types(name, field["ci_types"])
        bounds_ok = self.check_bounds(name, field, kind) if kind in SETTING_TYPES["min"] else True
        if "default" in field and kind in SETTING_TYPES["default"]:
            # Bounds only mean something (and only compare) for the types that take min/max.
            self.check_default(name, field, kind, bounds_ok and kind in SETTING_TYPES["min"])

    def check_choices(self, name: str, choices) -> None:
        if not isinstance(choices, list) or not choices:
            self.add(name, _("choices must be a non-empty list of {value, label} objects."))
            return
        seen = set()
        for number, choice in enumerate(choices, start=1):
            if not isinstance(choice, dict) or set(choice) != {"value", "label"}:
                self.add(name, _("choice %(number)d must be an object with exactly value and label."), number=number)
                continue
            value, label = choice["value"], choice["label"]
            if not isinstance(value, str) or not value:
                self.add(name, _("choice %(number)d needs a non-empty text value."), number=number)
            elif value in seen:
                self.add(name, _("the choice value %(value)s is used twice."), value=_quoted(value))
            else:
                seen.add(value)
            if not isinstance(label, str) or not label.strip():
                self.add(name, _("choice %(number)d needs a label."), number=number)

    def check_ci_types(self, name: str, ci_types) -> None:
        if not isinstance(ci_types, list) or not ci_types:
            self.add(name, _("ci_types must be a non-empty list of CI types."))
            return
        if not all(isinstance(t, str) and t in CIType.values for t in ci_types):
            self.add(name, _("ci_types may only hold %(types)s."), types=", ".join(CIType.values))

    def check_bounds(self, name: str, field: dict, kind: str) -> bool:
        """Check min and max for the type; False when either is unusable (then a default is not compared)."""
        valid = {"number": _is_number, "date": lambda v: v == TODAY or _is_iso_date(v)}.get(kind, _is_count)
        messages = {
            "number": _("%(setting)s must be a number."),
            "date": _('%(setting)s must be a date as "YYYY-MM-DD" or "today".'),
        }
        ok = True
        for setting in ("min", "max"):
            if setting in field and not valid(field[setting]):
                self.add(name, messages.get(kind, _("%(setting)s must be a whole number, 0 or more.")), setting=setting)
                ok = False
        if not ok:
            return False
        low, high = field.get("min"), field.get("max")
        if low is not None and high is not None and TODAY not in (low, high) and low > high:
            self.add(name, _("min is greater than max."))
            return False
        if kind in TEXT_LIMITS and high is not None and high > TEXT_LIMITS[kind]:
            self.add(name, _("max may be at most %(limit)d for a %(type)s field."), limit=TEXT_LIMITS[kind], type=kind)
        choices = _choice_values(field)
        if kind == "multichoice" and low is not None and choices and low > len(choices):
            self.add(name, _("min asks for more picks than there are choices."))
        return True

    def check_default(self, name: str, field: dict, kind: str, bounds_ok: bool) -> None:
        default = field["default"]
        problem = _DEFAULT_CHECKS[kind](default, field)
        if problem:
            self.add(name, problem)
        elif bounds_ok and not _within_bounds(kind, default, field):
            self.add(name, _("the default is outside min/max."))

    def check_show_if(self, name: str, key, rule, all_keys: set[str]) -> None:
        if not isinstance(rule, dict) or not isinstance(rule.get("field"), str):
            self.add(name, _('show_if must be an object like {"field": "os", "equals": "linux"}.'))
            return
        operators = [op for op in CONDITIONS if op in rule]
        if len(operators) != 1 or set(rule) != {"field", *operators}:
            self.add(name, _("show_if needs field and exactly one of equals, in or checked."))
            return
        target_key, operator, operand = rule["field"], operators[0], rule[operators[0]]
        target = self.earlier.get(target_key)
        if target is None:
            if target_key == key:
                self.add(name, _("show_if cannot refer to the field itself."))
            elif target_key in all_keys:
                self.add(name, _("show_if refers to %(other)s, which must come earlier."), other=_quoted(target_key))
            else:
                self.add(name, _("show_if refers to an unknown field %(other)s."), other=_quoted(target_key))
            return
        self.check_condition(name, target, operator, operand)

    def check_condition(self, name: str, target: dict, operator: str, operand) -> None:
        kind, other = target.get("type"), _quoted(target.get("key"))
        if operator == "checked":
            if kind != "checkbox":
                self.add(name, _("show_if checked needs a checkbox field, and %(other)s is not one."), other=other)
            elif not isinstance(operand, bool):
                self.add(name, _("show_if checked must be true or false."))
            return
        if kind not in VALUE_CONTROLLERS:
            self.add(
                name,
                _("show_if equals/in needs a text, textarea, choice or multichoice field, not %(other)s."),
                other=other,
            )
            return
        values = [operand] if operator == "equals" else operand
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            self.add(name, _("show_if equals needs a text value, and in a non-empty list of them."))
            return
        allowed = _choice_values(target)
        if kind in ("choice", "multichoice") and allowed and any(v not in allowed for v in values):
            self.add(name, _("show_if uses a value that is not among the choices of %(other)s."), other=other)


def _default_text(default, field) -> str | None:
    if not isinstance(default, str):
        return _("the default must be text.")
    pattern = _compile(field.get("regex"))
    if default and pattern and not pattern.fullmatch(default):
        return _("the default does not match the regex.")
    return None


def _default_choice(default, field) -> str | None:
    if not isinstance(default, str) or default not in _choice_values(field):
        return _("the default must be one of the choice values.")
    return None


def _default_multichoice(default, field) -> str | None:
    if not isinstance(default, list) or not all(isinstance(v, str) for v in default):
        return _("the default must be a list of choice values.")
    if any(v not in _choice_values(field) for v in default) or len(set(default)) != len(default):
        return _("the default must hold each choice value at most once, and only choice values.")
    return None


_DEFAULT_CHECKS: dict[str, Callable[[object, dict], str | None]] = {
    "text": _default_text,
    "textarea": _default_text,
    "choice": _default_choice,
    "multichoice": _default_multichoice,
    "number": lambda d, f: None if _is_number(d) else _("the default must be a number."),
    "date": lambda d, f: None if _is_iso_date(d) else _('the default must be a date as "YYYY-MM-DD".'),
    "checkbox": lambda d, f: None if isinstance(d, bool) else _("the default must be true or false."),
}


def _within_bounds(kind: str, default, field: dict) -> bool:
    """Whether a well-typed default respects min/max; "today" bounds move, so they are checked when submitted."""
    low, high, value = field.get("min"), field.get("max"), default
    if kind in ("text", "textarea", "multichoice"):
        if not default:
            return True  # an empty default is "no answer yet", which an optional field allows whatever min says
        value, high = len(default), high if high is not None else TEXT_LIMITS.get(kind)
    return (low in (None, TODAY) or value >= low) and (high in (None, TODAY) or value <= high)


def validate_definition(fields) -> list[str]:
    """Every problem of a form definition as a translated message naming the field; [] when it is valid.

    Never raises: it is fed imported JSON.
    """
    return _Checker().run(fields)


# -- show-if -----------------------------------------------------------------------------------------


def _submitted(values: Mapping[str, object], key: str) -> list:
    """The values submitted for a key: a QueryDict's list, a list as given, or one value."""
    if hasattr(values, "getlist"):
        return values.getlist(key)
    value = values.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _is_checked(submitted: list) -> bool:
    # As Django's CheckboxInput reads a post: "false" and "" are unticked, any other value (usually "on") ticked.
    value = submitted[-1] if submitted else False
    if isinstance(value, str):
        return value.lower() != "false" and value != ""
    return bool(value)


def _holds(rule: Mapping, submitted: list) -> bool:
    if "checked" in rule:
        return _is_checked(submitted) == rule["checked"]
    texts = {str(v) for v in submitted}
    if "equals" in rule:
        return rule["equals"] in texts
    return any(v in texts for v in rule.get("in") or ())


def visible_keys(fields, values: Mapping[str, object]) -> set[str]:
    """Keys of the fields shown for these submitted values; a field is hidden when its controlling field is."""
    visible: set[str] = set()
    for field in fields if isinstance(fields, list) else ():
        if not isinstance(field, dict) or not isinstance(field.get("key"), str):
            continue
        rule = field.get("show_if")
        if not rule:
            visible.add(field["key"])
            continue
        controller = rule.get("field") if isinstance(rule, Mapping) else None
        # Controllers come earlier, so "visible" already says whether this one is shown.
        if isinstance(controller, str) and controller in visible and _holds(rule, _submitted(values, controller)):
            visible.add(field["key"])
    return visible


# -- the Django form ---------------------------------------------------------------------------------


def _today_or(bound) -> datetime.date | None:
    if bound is None:
        return None
    return timezone.localdate() if bound == TODAY else datetime.date.fromisoformat(bound)


def _fullmatch_validator(pattern: str, message: str) -> Callable[[str], None]:
    compiled = re.compile(pattern)

    def validate(value: str) -> None:
        # RegexValidator searches; a catalog regex describes the whole answer.
        if not compiled.fullmatch(value):
            raise ValidationError(message, code="invalid")

    return validate


def _date_bounds_validator(low, high) -> Callable[[datetime.date], None]:
    def validate(value: datetime.date) -> None:
        # Resolved on every check: a form built before midnight still refuses yesterday after it.
        earliest, latest = _today_or(low), _today_or(high)
        if earliest and value < earliest:
            raise ValidationError(_("The date may not be before %(date)s.") % {"date": earliest.isoformat()})
        if latest and value > latest:
            raise ValidationError(_("The date may not be after %(date)s.") % {"date": latest.isoformat()})

    return validate


def _count_validator(low, high) -> Callable[[list], None]:
    def validate(value: list) -> None:
        if low is not None and len(value) < low:
            raise ValidationError(_("Pick at least %(count)d.") % {"count": low}, code="min_picks")
        if high is not None and len(value) > high:
            raise ValidationError(_("Pick at most %(count)d.") % {"count": high}, code="max_picks")

    return validate


class UserField(forms.Field):
    """An active user, typed as a username or an email address; cleans to the User."""

    widget = forms.TextInput
    default_error_messages = {
        "unknown": gettext_lazy("No active user with that username or email."),
        "ambiguous": gettext_lazy("Several users have that email address: enter the username."),
    }

    def prepare_value(self, value):
        return value.get_username() if hasattr(value, "get_username") else value

    def to_python(self, value):
        text = str(value).strip() if value not in self.empty_values else ""
        if not text:
            return None
        users = get_user_model().objects.filter(is_active=True).filter(Q(username__iexact=text) | Q(email__iexact=text))
        found = list(users[:5])
        exact = [u for u in found if u.get_username() == text]
        if len(exact) == 1 or len(found) == 1:
            return (exact or found)[0]
        code = "ambiguous" if found else "unknown"
        raise ValidationError(self.error_messages[code], code=code)


class AttachmentField(forms.FileField):
    """One file, refused unless the service desk would accept it (size, allowed type, content matching it)."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            validate_uploads([upload])
        return upload


def _bootstrap(widget: forms.Widget, css: str, **attrs) -> forms.Widget:
    widget.attrs.update({"class": css, **attrs})
    return widget


def _text_field(spec: dict, common: dict) -> forms.Field:
    kind = spec["type"]
    widget = forms.Textarea(attrs={"rows": 4}) if kind == "textarea" else forms.TextInput()
    validators = []
    if spec.get("regex"):
        message = spec.get("regex_message") or _("Enter a value in the format asked for.")
        validators.append(_fullmatch_validator(spec["regex"], message))
    return forms.CharField(
        max_length=spec.get("max", TEXT_LIMITS[kind]),
        min_length=spec.get("min"),
        validators=validators,
        widget=_bootstrap(widget, "form-control"),
        **common,
    )


def _decimal(number) -> Decimal | None:
    # Through str: Decimal(0.1) would carry the float's binary noise into the bound.
    return None if number is None else Decimal(str(number))


def _number_field(spec: dict, common: dict) -> forms.Field:
    return forms.DecimalField(
        min_value=_decimal(spec.get("min")),
        max_value=_decimal(spec.get("max")),
        widget=_bootstrap(forms.NumberInput(), "form-control"),
        **common,
    )


def _date_field(spec: dict, common: dict) -> forms.Field:
    low, high = spec.get("min"), spec.get("max")
    attrs = {name: _today_or(bound).isoformat() for name, bound in (("min", low), ("max", high)) if bound}
    widget = _bootstrap(forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "form-control", **attrs)
    validators = [_date_bounds_validator(low, high)] if attrs else []
    return forms.DateField(widget=widget, input_formats=["%Y-%m-%d"], validators=validators, **common)


def _choice_field(spec: dict, common: dict) -> forms.Field:
    choices = [(c["value"], c["label"]) for c in spec["choices"]]
    if spec["type"] == "multichoice":
        widget = _bootstrap(forms.CheckboxSelectMultiple(), "form-check-input")
        validators = [_count_validator(spec.get("min"), spec.get("max"))]
        return forms.MultipleChoiceField(choices=choices, widget=widget, validators=validators, **common)
    if not common["required"]:
        choices.insert(0, ("", "---------"))
    return forms.ChoiceField(choices=choices, widget=_bootstrap(forms.Select(), "form-select"), **common)


def _ci_field(spec: dict, common: dict) -> forms.Field:
    items = ConfigurationItem.objects.in_use()
    if spec.get("ci_types"):
        items = items.filter(ci_type__in=spec["ci_types"])
    return forms.ModelChoiceField(queryset=items, widget=_bootstrap(forms.Select(), "form-select"), **common)


def _user_field(spec: dict, common: dict) -> forms.Field:
    widget = forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("Username or email")})
    return UserField(widget=_bootstrap(widget, "form-control"), **common)


def _attachment_field(spec: dict, common: dict) -> forms.Field:
    accept = ",".join(f".{ext}" for ext in settings.ATTACHMENT_ALLOWED_EXTENSIONS)
    return AttachmentField(widget=_bootstrap(forms.FileInput(), "form-control", accept=accept), **common)


def _checkbox_field(spec: dict, common: dict) -> forms.Field:
    # A required checkbox must be ticked ("I accept the policy"): that is what BooleanField(required=True) means.
    return forms.BooleanField(widget=_bootstrap(forms.CheckboxInput(), "form-check-input"), **common)


_BUILDERS: dict[str, Callable[[dict, dict], forms.Field]] = {
    "text": _text_field,
    "textarea": _text_field,
    "number": _number_field,
    "date": _date_field,
    "choice": _choice_field,
    "multichoice": _choice_field,
    "user": _user_field,
    "ci": _ci_field,
    "attachment": _attachment_field,
    "checkbox": _checkbox_field,
}


def _initial(spec: dict):
    default = spec.get("default")
    if spec["type"] == "date" and default:
        return datetime.date.fromisoformat(default)
    return default


class OrderForm(forms.Form):
    """A catalog item's order form, one field per definition entry; hidden fields (show_if) are ignored."""

    def __init__(self, definition: list[dict], *, user, **kwargs):
        initial = {spec["key"]: _initial(spec) for spec in definition if spec.get("default") is not None}
        kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(**kwargs)
        self.definition = definition
        self.user = user
        self.visible: set[str] = set()
        for spec in definition:
            self.fields[spec["key"]] = self._make_field(spec)

    def _make_field(self, spec: dict) -> forms.Field:
        common = {
            "label": spec["label"],
            "required": spec.get("required", False),
            "help_text": spec.get("help_text", ""),
        }
        field = _BUILDERS[spec["type"]](spec, common)
        if spec["type"] == "ci":
            # End users pick among their own CIs and those offered to everyone; the desk among all in use.
            field.queryset = field.queryset.visible_to(self.user)
        # Read by the template and show-if.js: the type picks the layout, the rule (with the controlling input's
        # name as posted, prefix included) lets the page hide the wrapper.
        field.order_type = spec["type"]
        rule = spec.get("show_if")
        field.show_if_json = json.dumps({**rule, "name": self.add_prefix(rule["field"])}) if rule else ""
        return field

    def raw_values(self) -> dict[str, object]:
        """The submitted value of every field as its widget reads the post (a checkbox gives a bool)."""
        return {
            key: field.widget.value_from_datadict(self.data, self.files, self.add_prefix(key))
            for key, field in self.fields.items()
        }

    def clean(self):
        cleaned = super().clean()
        self.visible = visible_keys(self.definition, self.raw_values())
        for key in set(self.fields) - self.visible:
            # A hidden field is not asked for: its errors (required included) and any value posted for it go.
            self._errors.pop(key, None)
            cleaned.pop(key, None)
        return cleaned

    def full_clean(self):
        super().full_clean()
        # Bootstrap draws a red border around a widget with this class.
        for key in self.errors:
            attrs = self.fields[key].widget.attrs if key in self.fields else {}
            if "is-invalid" not in attrs.get("class", ""):
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


def build_order_form(fields, *, user, data=None, files=None, prefix=None, initial=None) -> OrderForm:
    """The order form for a definition; bound when data is given. Raises InvalidDefinition for a bad definition."""
    problems = validate_definition(fields)
    if problems:
        raise InvalidDefinition(problems)
    return OrderForm(fields, user=user, data=data, files=files, prefix=prefix, initial=initial)


# -- answers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypedAnswer:
    """One answer of a submitted order form: the typed value and the text to show for it."""

    key: str
    label: str
    type: str
    value: object
    display: str


def _display(spec: dict, value) -> str:
    kind = spec["type"]
    if kind in ("choice", "multichoice"):
        labels = {c["value"]: c["label"] for c in spec["choices"]}
        picked = value if kind == "multichoice" else [value]
        return ", ".join(labels.get(v, v) for v in picked)
    if kind == "checkbox":
        return _("Yes") if value else _("No")
    if kind == "number":
        return format(value, "f")  # plain digits: "1E+2" means nothing to a requester
    if kind == "date":
        return value.isoformat()
    if kind == "user":
        return value.get_full_name() or value.get_username()
    if kind == "attachment":
        return value.name
    return str(value)


def answers_from(form: OrderForm) -> list[TypedAnswer]:
    """The answers of a valid order form, in definition order: visible fields only, empty optional ones left out."""
    if not form.is_bound or form.errors:
        raise ValueError("answers_from needs a bound form that passed is_valid()")
    answers = []
    for spec in form.definition:
        key, kind = spec["key"], spec["type"]
        if key not in form.visible or key not in form.cleaned_data:
            continue
        value = form.cleaned_data[key]
        if kind == "checkbox":
            value = bool(value)
        elif value is None or (isinstance(value, str | list) and not value):
            continue  # an optional field left empty (a Decimal 0 or a date is an answer)
        answers.append(TypedAnswer(key=key, label=spec["label"], type=kind, value=value, display=_display(spec, value)))
    return answers


def json_value(answer: TypedAnswer):
    """The answer's value in a JSON-safe form: records as {"id", "display"}, a file as {"filename"}."""
    value = answer.value
    if answer.type in ("user", "ci"):
        return {"id": value.pk, "display": answer.display}
    if answer.type == "attachment":
        return {"filename": value.name}
    if answer.type == "number":
        return format(value, "f")
    if answer.type == "date":
        return value.isoformat()
    if answer.type == "multichoice":
        return list(value)
    return value


def answer_to_json(answer: TypedAnswer) -> dict:
    """The whole answer as a JSON-safe dict (key, label, type, value, display)."""
    return {
        "key": answer.key,
        "label": answer.label,
        "type": answer.type,
        "value": json_value(answer),
        "display": answer.display,
    }
