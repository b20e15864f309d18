"""Attribute validation: raw values (form text, import cells, API JSON) in, typed JSON values out, or field errors.

Stored values are JSON-typed so that containment filters match exactly: numbers as JSON numbers, dates as ISO
text, IP addresses in canonical form (``ipaddress``), choices as one of the defined values, references as the
referenced CI's id.
"""

import datetime
import ipaddress
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import AttributeType
from .models import CIAttribute, CIClass, ConfigurationItem


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_value(attribute: CIAttribute, value):
    """One attribute's value, typed for storage; raises ValidationError with a message for the user."""
    kind = attribute.type
    if kind == AttributeType.TEXT:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValidationError(_("Enter text."))
        text = str(value).strip()
        if len(text) > 1000:
            raise ValidationError(_("At most 1,000 characters."))
        return text
    if kind == AttributeType.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(_("Enter a number."))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == AttributeType.DATE:
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == AttributeType.CHOICE:
        if value not in (attribute.choices or []):
            raise ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, attribute.choices or []))}
            )
        return value
    if kind == AttributeType.IP_ADDRESS:
        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise ValidationError(_("Enter a valid IPv4 or IPv6 address.")) from None
    if kind == AttributeType.REFERENCE:
        pk = value.pk if isinstance(value, ConfigurationItem) else value
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise ValidationError(_("Enter the id of a configuration item.")) from None
        target = ConfigurationItem.objects.filter(pk=pk).select_related("ci_class").first()
        if target is None:
            raise ValidationError(_("No configuration item has the id %(id)s.") % {"id": pk})
        wanted = attribute.reference_class
        if wanted is not None and (target.ci_class is None or not target.ci_class.is_a(wanted)):
            raise ValidationError(_("%(ci)s is not a %(class)s.") % {"ci": target, "class": wanted})
        return pk
    raise ValidationError(_("Unknown attribute type %(type)s.") % {"type": kind})


def validate_attributes(ci_class: CIClass | None, values: dict | None, *, required: bool = True) -> dict:
    """The class's effective attributes checked and typed: returns the cleaned dict (empty values left out).

    Raises ``ValidationError`` whose ``message_dict`` maps each bad key to its messages: unknown keys,
    missing required values, and values of the wrong type are all reported at once. ``required=False`` leaves
    the required keys to the caller (an import row may leave out what is stored already).
    """
    values = values or {}
    if not isinstance(values, dict):
        raise ValidationError({"attributes": [_("Attributes must be an object of key and value.")]})
    definitions = {a.key: a for a in ci_class.effective_attributes()} if ci_class else {}
    cleaned, errors = {}, {}
    for key, value in values.items():
        if key not in definitions:
            errors[key] = [_("%(key)s is not an attribute of %(class)s.") % {"key": key, "class": ci_class or "-"}]
        elif not _is_empty(value):
            try:
                cleaned[key] = clean_value(definitions[key], value)
            except ValidationError as error:
                errors[key] = error.messages
    for key, definition in definitions.items() if required else ():
        if definition.required and key not in cleaned and key not in errors:
            errors[key] = [_("%(label)s is required.") % {"label": definition.label}]
    if errors:
        raise ValidationError(errors)
    return cleaned


def identifier_scopes(ci_class: CIClass) -> list[tuple[CIAttribute, set[int]]]:
    """Each identifier attribute of the class with the class ids it must be unique among (its defining subtree)."""
    return [(a, a.ci_class.descendant_ids()) for a in ci_class.effective_attributes() if a.is_identifier]
