"""Incident forms: report (portal), hold, resolve, reopen, classify, override priority (desk)."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from cmdb.choices import CIType
from cmdb.models import ConfigurationItem
from servicedesk.choices import Priority
from servicedesk.forms import MultipleFileField, VersionedForm

from .choices import HoldReason, Impact, ResolutionCode, Urgency
from .models import Category


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class ReportIncidentForm(forms.Form):
    title = forms.CharField(
        label=_("What is wrong?"),
        max_length=200,
        help_text=_('One line, for example: "Cannot print on the 3rd floor printer".'),
    )
    urgency = forms.TypedChoiceField(
        label=_("How much does it stop your work?"),
        choices=[
            (Urgency.HIGH, _("I cannot work at all")),
            (Urgency.MEDIUM, _("My work is slowed down")),
            (Urgency.LOW, _("It is annoying, but I can work")),
        ],
        coerce=int,
        initial=Urgency.MEDIUM,
        required=False,
        empty_value=Urgency.MEDIUM,
    )
    category = forms.ModelChoiceField(
        label=_("What is it about? (optional)"),
        queryset=Category.objects.filter(parent__isnull=True, is_active=True),
        required=False,
    )
    affected_service = forms.ModelChoiceField(
        label=_("Which service is affected? (optional)"), queryset=ConfigurationItem.objects.none(), required=False
    )
    configuration_item = forms.ModelChoiceField(
        label=_("Which of your devices or systems? (optional)"),
        queryset=ConfigurationItem.objects.none(),
        required=False,
        help_text=_("The computer, phone or system registered to you that has the problem."),
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, since when, what you tried. Markdown is supported."),
    )
    files = MultipleFileField(label=_("Attachments (screenshots, logs)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        # The reporter picks among the services offered to everyone and the CIs they own, nothing else.
        visible = ConfigurationItem.objects.visible_to(user)
        self.fields["affected_service"].queryset = visible.services()
        self.fields["configuration_item"].queryset = visible.exclude(ci_type=CIType.BUSINESS_SERVICE)
        if not self.fields["configuration_item"].queryset.exists():
            del self.fields["configuration_item"]

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("Give the incident a short title."))
        return title


class ResolveForm(VersionedForm):
    code = forms.ChoiceField(label=_("Resolution code"), choices=[("", "---------"), *ResolutionCode.choices])
    notes = forms.CharField(
        label=_("Resolution notes (shown to the requester)"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class HoldForm(VersionedForm):
    reason = forms.ChoiceField(label=_("Waiting for"), choices=[("", "---------"), *HoldReason.choices])
    note = forms.CharField(
        label=_("Note for the log (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ReopenForm(VersionedForm):
    reason = forms.CharField(label=_("What is still wrong?"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ClassifyForm(VersionedForm):
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(parent__isnull=True, is_active=True), required=False
    )
    subcategory = forms.ModelChoiceField(
        label=_("Subcategory"),
        queryset=Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent"),
        required=False,
    )
    affected_service = forms.ModelChoiceField(
        label=_("Affected service"), queryset=ConfigurationItem.objects.services().in_use(), required=False
    )
    configuration_item = forms.ModelChoiceField(
        label=_("Configuration item"), queryset=ConfigurationItem.objects.in_use(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        category, subcategory = data.get("category"), data.get("subcategory")
        if subcategory is not None and subcategory.parent_id != getattr(category, "pk", None):
            self.add_error("subcategory", _("Choose a subcategory of the chosen category."))
        return data


class OverridePriorityForm(VersionedForm):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    reason = forms.CharField(label=_("Why does it differ from the matrix?"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
