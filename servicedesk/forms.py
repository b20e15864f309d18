"""Forms of the portal and the desk: they validate input and hand cleaned_data to a service (never save())."""

import datetime

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .bulk import MAX_ROWS
from .models import AssignmentGroup, NotificationTopic, SavedFilter
from .registry import all_kinds, get_kind
from .services import MAX_TIME_SPENT_MINUTES, validate_uploads


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


class TimeSpentField(forms.IntegerField):
    """Minutes of work booked with a note: 0 to a day; empty means none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Time spent (minutes)"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_TIME_SPENT_MINUTES)
        super().__init__(**kwargs)

    def clean(self, value):
        return super().clean(value) or 0


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
            self.fields["time_spent_minutes"] = TimeSpentField()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files"):
            raise ValidationError(_("Write a message or attach a file."))
        if data.get("time_spent_minutes") and not (data.get("body") or "").strip():
            self.add_error("time_spent_minutes", _("Write a note to go with the time spent."))
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


# -- desk tools --------------------------------------------------------------------------------------


class TicketNumbersField(forms.Field):
    """The ticket numbers of the selected queue rows (checkboxes named `tickets`)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Select at least one ticket.")}

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        return list(dict.fromkeys(str(v).strip().upper() for v in values if str(v).strip()))

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_ROWS:
            raise ValidationError(_("Select at most %(max)d tickets at once.") % {"max": MAX_ROWS})
        if any(len(number) > 20 or not number.isalnum() for number in value):
            raise ValidationError(_("That is not a ticket number."))


def _state_field_name(kind: str, action: str, field: str) -> str:
    return f"{kind}__{action}__{field}"


class BulkForm(forms.Form):
    """One action for every selected queue row: assign, add a work note, or a kind's state change.

    The state changes and their extra inputs come from the kinds' registered bulk actions; an input is
    named `<kind>__<action>__<field>` so that two actions' fields never clash.
    """

    tickets = TicketNumbersField()
    action = forms.ChoiceField(label=_("Action"))
    group = forms.ModelChoiceField(
        label=_("Assignment group"), queryset=AssignmentGroup.objects.filter(is_active=True), required=False
    )
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=get_user_model().objects.none(), required=False)
    body = forms.CharField(label=_("Work note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    time_spent_minutes = TimeSpentField(help_text=_("Booked on each ticket."))

    def __init__(self, *args, group_choices=None, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        if group_choices is not None:  # the queue page's filter shows the same groups: rendered from one query
            self.fields["group"].widget.choices = group_choices
        choices = [("", "---------"), ("assign", _("Assign")), ("note", _("Add a work note"))]
        self.state_fields: list[tuple[str, str, list[str]]] = []  # (action value, its label, its field names)
        for kind in all_kinds():
            options = []
            for code, bulk_action in kind.bulk_actions.items():
                value = f"{kind.code}:{code}"
                options.append((value, bulk_action.label))
                names = []
                for spec in bulk_action.fields:
                    name = _state_field_name(kind.code, code, spec.name)
                    self.fields[name] = _bulk_field(spec)
                    names.append(name)
                self.state_fields.append((value, bulk_action.label, names))
            if options:
                choices.append((kind.label, options))
        self.fields["action"].choices = choices
        if self.is_bound:  # on the page the options come with the chosen group (htmx), as on the ticket page
            members = get_user_model().objects.filter(is_active=True, support_groups__isnull=False).distinct()
            self.fields["assignee"].queryset = members.order_by("username")

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "assign":
            group, assignee = data.get("group"), data.get("assignee")
            if group is None:
                if "group" not in self.errors:
                    self.add_error("group", _("Choose the assignment group."))
            elif assignee is not None and not group.members.filter(pk=assignee.pk).exists():
                self.add_error(
                    "assignee", _("%(user)s is not a member of %(group)s.") % {"user": assignee, "group": group}
                )
        elif action == "note":
            if not (data.get("body") or "").strip():
                self.add_error("body", _("Write the work note."))
        elif action:
            kind, code = action.split(":", 1)
            values = {}
            for spec in get_kind(kind).bulk_actions[code].fields:
                name = _state_field_name(kind, code, spec.name)
                value = (data.get(name) or "").strip()
                if spec.required and not value and name not in self.errors:
                    self.add_error(name, _("This field is required."))
                values[spec.name] = value
            data["values"] = values
        return data

    def state_sections(self) -> list[tuple[str, str, list]]:
        """(action value, label, bound fields) of each state change, for the template."""
        return [(value, label, [self[name] for name in names]) for value, label, names in self.state_fields]

    def state_action(self) -> tuple[str, str] | None:
        """(kind, action code) when a kind's state change was chosen."""
        action = self.cleaned_data.get("action", "")
        return tuple(action.split(":", 1)) if ":" in action else None


def _bulk_field(spec) -> forms.Field:
    if spec.choices:
        return forms.ChoiceField(label=spec.label, choices=[("", "---------"), *spec.choices], required=False)
    widget = forms.Textarea(attrs={"rows": 2}) if spec.multiline else forms.TextInput
    return forms.CharField(label=spec.label, max_length=spec.max_length, widget=widget, required=False)


# Query parameters that page or sort the queue: a saved filter keeps what is shown, not where one was.
NOT_SAVED_PARAMETERS = frozenset({"page", "per_page", "sort", "csrfmiddlewaretoken"})


def clean_queue_query(query: str) -> str:
    """The queue's query string without paging and sorting, re-encoded (so it is safe to put in a link)."""
    params = QueryDict(query.lstrip("?"), mutable=True)
    for name in NOT_SAVED_PARAMETERS:
        params.pop(name, None)
    for name in list(params):
        if not any(v.strip() for v in params.getlist(name)):
            params.pop(name)
    return params.urlencode()


class SavedFilterForm(forms.Form):
    """Save the queue as it is filtered now, under a name, for me or for the whole desk."""

    name = forms.CharField(label=_("Name"), max_length=100)
    is_shared = forms.BooleanField(label=_("Share with the desk"), required=False)
    queue = forms.ChoiceField(widget=forms.HiddenInput)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(self, *args, owner, queues, **kwargs):
        kwargs.setdefault("auto_id", "save_filter_%s")
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.fields["queue"].choices = [(code, code) for code in queues]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the filter a name."))
        if SavedFilter.objects.filter(owner_id=self.owner.pk, name__iexact=name).exists():
            raise ValidationError(_("You already have a filter named %(name)s.") % {"name": name})
        return name

    def clean_query(self):
        query = clean_queue_query(self.cleaned_data.get("query") or "")
        if len(query) > 2000:
            raise ValidationError(_("This filter is too long to save."))
        return query


class TimeRangeForm(forms.Form):
    """The period of the time report: from and to (both days included), at most a year."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    # Far-off dates would overflow when turned into aware datetimes; nobody books time there anyway.
    EARLIEST, LATEST = datetime.date(1970, 1, 1), datetime.date(9000, 12, 31)

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            if data.get(name) and not self.EARLIEST <= data[name] <= self.LATEST:
                self.add_error(name, _("Choose a date between 1970 and 9000."))
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end is before the start."))
            elif (end - start).days > 366:
                self.add_error("end", _("Choose at most a year."))
        return data


class NotificationPreferenceForm(forms.Form):
    """Which topics a person gets by email and, when a chat webhook serves them, by IM; and in which language."""

    email_topics = forms.MultipleChoiceField(
        label=_("By email"), choices=NotificationTopic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    im_topics = forms.MultipleChoiceField(
        label=_("By chat"), choices=NotificationTopic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label=_("Language of the messages"))

    def __init__(self, *args, webhook=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Read here, not at import: settings are never read at import time.
        self.fields["language"].choices = settings.LANGUAGES
        if webhook is None:
            del self.fields["im_topics"]  # nothing would deliver them
        else:
            self.fields["im_topics"].label = _("By %(platform)s (%(name)s)") % {
                "platform": webhook.get_kind_display(),
                "name": webhook.name,
            }
        self.helper = FormHelper()
        self.helper.form_tag = False

    def topic_rows(self) -> list[dict]:
        """One row per topic for the page's table: its label, its email checkbox and its IM checkbox (or None)."""
        email = list(self["email_topics"])
        im = list(self["im_topics"]) if "im_topics" in self.fields else [None] * len(email)
        labels = NotificationTopic.labels
        return [{"label": t, "email": e, "im": i} for t, e, i in zip(labels, email, im, strict=True)]
