"""Forms of the major incident and merge panel on the desk ticket page: they validate input for the services."""

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.forms import VersionedForm

# A ticket number as the desk types it: a prefix and digits (INC0000123); case and spaces do not matter.
TICKET_NUMBER = re.compile(r"^[A-Z]{2,8}\d{1,12}$")
MAX_MERGE = 20


def _number(value: str) -> str:
    number = (value or "").strip().upper()
    if not TICKET_NUMBER.match(number):
        raise forms.ValidationError(
            _("%(value)s is not a ticket number such as INC0000123."), params={"value": value.strip() or "?"}
        )
    return number


class _PanelForm(VersionedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the panel's <form> carries the token


class PromoteMajorForm(_PanelForm):
    reason = forms.CharField(
        label=_("Why is this a major incident?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    announcement = forms.CharField(
        label=_("Announcement for the affected users"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown as a banner in the portal while the major incident is open."),
    )


class AnnouncementForm(_PanelForm):
    announcement = forms.CharField(
        label=_("Announcement for the affected users"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Empty: the banner shows the number, title and status only."),
    )


class LinkChildForm(_PanelForm):
    number = forms.CharField(label=_("Incident number"), max_length=40)
    reason = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)

    def clean_number(self) -> str:
        return _number(self.cleaned_data["number"])


class UnlinkChildForm(_PanelForm):
    number = forms.CharField(max_length=40, widget=forms.HiddenInput)

    def clean_number(self) -> str:
        return _number(self.cleaned_data["number"])


class MergeForm(_PanelForm):
    numbers = forms.CharField(
        label=_("Duplicate incident numbers"),
        max_length=1000,
        help_text=_("Comma-separated, for example: INC0000123, INC0000124."),
    )

    def clean_numbers(self) -> list[str]:
        parts = [part for part in re.split(r"[,;\s]+", self.cleaned_data["numbers"]) if part]
        numbers = list(dict.fromkeys(_number(part) for part in parts))
        if not numbers:
            raise forms.ValidationError(_("Name at least one duplicate incident."))
        if len(numbers) > MAX_MERGE:
            raise forms.ValidationError(_("Merge at most %(count)d incidents at once."), params={"count": MAX_MERGE})
        return numbers
