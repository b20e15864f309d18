"""Forms of the catalog pages besides the order form itself (which `form_engine` builds from the item)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.forms import VersionedForm

from .form_engine import UserField


class OrderOptionsForm(forms.Form):
    """How many, and for whom (empty: for me), next to the item's own questions."""

    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    requested_for = UserField(
        label=_("For someone else"),
        required=False,
        help_text=_("Username or email of the person it is for; empty: for you."),
    )
    note = forms.CharField(
        label=_("Anything else we should know"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        max_length=4000,
    )

    def __init__(self, *args, max_quantity: int = 1, **kwargs):
        kwargs.setdefault("prefix", "order")
        super().__init__(*args, **kwargs)
        widget = (
            forms.HiddenInput()
            if max_quantity == 1
            else forms.NumberInput(attrs={"min": 1, "max": max_quantity, "class": "form-control"})
        )
        self.fields["quantity"] = forms.IntegerField(
            label=_("Quantity"), min_value=1, max_value=max_quantity, initial=1, widget=widget
        )
        self.fields["requested_for"].widget.attrs["class"] = "form-control"


class CheckoutForm(forms.Form):
    requested_for = UserField(
        label=_("For someone else"), required=False, help_text=_("Username or email; empty: for you.")
    )
    note = forms.CharField(
        label=_("Note for the service desk"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why you reject it: the requester will read it."))
        return data


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class CompleteTaskForm(VersionedForm):
    notes = forms.CharField(
        label=_("What was done"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class QuestionForm(VersionedForm):
    question = forms.CharField(
        label=_("Question for the requester"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DelegationForm(forms.Form):
    delegate = UserField(label=_("Who decides for me"), help_text=_("Username or email."))
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end is before the start."))
        if ends and ends < timezone.localdate():
            self.add_error("ends_on", _("The end is in the past."))
        if data.get("delegate") is not None and data["delegate"].pk == self.user.pk:
            self.add_error("delegate", _("Choose someone other than yourself."))
        return data
