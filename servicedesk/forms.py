"""Forms of the portal and the desk: they validate input and hand cleaned_data to a service (never save())."""

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import AssignmentGroup
from .services import validate_uploads


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files; each is checked against the size limit and the type allow-list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        files = [super(MultipleFileField, self).clean(f, initial) for f in files]
        validate_uploads(files)
        return files


class VersionedForm(forms.Form):
    """Carries the ticket version the user saw, so a stale form is refused instead of overwriting."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReplyForm(VersionedForm):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Markdown is supported."),
    )
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, allow_internal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if allow_internal:
            self.fields["internal"] = forms.BooleanField(
                label=_("Internal work note (not shown to the requester)"), required=False, initial=True
            )
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files"):
            raise ValidationError(_("Write a message or attach a file."))
        return data


class AssignForm(VersionedForm):
    group = forms.ModelChoiceField(label=_("Assignment group"), queryset=AssignmentGroup.objects.filter(is_active=True))
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        group_id = str(self.data.get("group") or self.initial.get("group") or "")
        members = get_user_model().objects.filter(is_active=True, support_groups__isnull=False).distinct()
        if group_id.isdigit():  # anything else is refused by the group field's own validation, not a 500 here
            members = get_user_model().objects.filter(is_active=True, support_groups__pk=group_id)
        self.fields["assignee"].queryset = members.order_by("username")
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        group, assignee = data.get("group"), data.get("assignee")
        if group and assignee and not group.members.filter(pk=assignee.pk).exists():
            self.add_error("assignee", _("%(user)s is not a member of %(group)s.") % {"user": assignee, "group": group})
        return data
