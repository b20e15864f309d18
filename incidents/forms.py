"""Incident forms: report an issue (portal), resolve and reopen."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.forms import MultipleFileField, VersionedForm

from .choices import ResolutionCode


class ReportIncidentForm(forms.Form):
    title = forms.CharField(
        label=_("What is wrong?"),
        max_length=200,
        help_text=_('One line, for example: "Cannot print on the 3rd floor printer".'),
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, since when, what you tried. Markdown is supported."),
    )
    files = MultipleFileField(label=_("Attachments (screenshots, logs)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

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
        self.helper = FormHelper()
        self.helper.form_tag = False


class ReopenForm(VersionedForm):
    reason = forms.CharField(label=_("What is still wrong?"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
