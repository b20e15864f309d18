"""Escalation forms of the desk's incident panel: they validate input and hand cleaned_data to a service."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.forms import VersionedForm
from servicedesk.models import AssignmentGroup


class EscalateToGroupForm(VersionedForm):
    """Functional escalation: another active group (not the current one) and why."""

    group = forms.ModelChoiceField(
        label=_("Escalate to group"),
        queryset=AssignmentGroup.objects.none(),
        error_messages={
            "required": _("Choose the group to escalate to."),
            "invalid_choice": _("Choose another active group to escalate to."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the incident is escalated.")},
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        groups = AssignmentGroup.objects.filter(is_active=True).order_by("name")
        if incident.assignment_group_id is not None:
            groups = groups.exclude(pk=incident.assignment_group_id)
        self.fields["group"].queryset = groups
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the panel template writes the token


class EscalateToManagerForm(VersionedForm):
    """Hierarchic escalation: why the group's manager is needed."""

    reason = forms.CharField(
        label=_("Why is the manager needed?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the manager is needed.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the panel template writes the token
