"""Configuration screens of the Service levels practice: business calendars with their hours and exceptions."""

import functools
import zoneinfo
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .holidays_import import ImportResult, import_public_holidays, supported_countries
from .models import (
    MANUAL_SOURCE,
    NOT_A_PLACE,
    BusinessCalendar,
    CalendarException,
    SLAAction,
    SLAClock,
    SLAClockEvent,
    SLAPolicy,
    SLATarget,
    WorkingPeriod,
    find_overlap,
)


@functools.cache
def _time_zone_choices() -> list[tuple[str, str]]:
    # Read once: the list comes from scanning the tz database on disk.
    return [(name, name) for name in sorted(zoneinfo.available_timezones() - NOT_A_PLACE)]


def format_duration(duration: timedelta) -> str:
    """Hours and minutes, as a week's working time reads best ("42 h 30 min")."""
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class BusinessCalendarForm(forms.ModelForm):
    """A pick list of the zones the server knows instead of a free text box."""

    time_zone = forms.ChoiceField(label=gettext_lazy("time zone"), choices=_time_zone_choices)

    class Meta:
        model = BusinessCalendar
        fields = ("name", "time_zone", "is_24x7", "description")


class WorkingPeriodFormSet(forms.BaseInlineFormSet):
    """Checks the week as edited: two spans of one weekday must not share time."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [form.instance for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        overlap = find_overlap(kept)
        if overlap:
            raise ValidationError(
                _("%(first)s overlaps %(second)s; spans of one day must not share time."),
                params={"first": overlap[0], "second": overlap[1]},
            )


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = WorkingPeriodFormSet
    fields = ("weekday", "start", "end")
    ordering = ("weekday", "start")
    extra = 0


class CalendarExceptionForm(forms.ModelForm):
    """A row edited here becomes manual, so a later import of public holidays leaves it as the admin set it."""

    def save(self, commit=True):
        if self.has_changed():
            self.instance.source = MANUAL_SOURCE
        return super().save(commit)


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    form = CalendarExceptionForm
    fields = ("date", "kind", "name", "hours_like_weekday", "source")
    readonly_fields = ("source",)
    ordering = ("date",)
    extra = 0


class ImportHolidaysForm(forms.Form):
    """Country and year of the public holidays to import into the selected calendars."""

    country = forms.ChoiceField(label=gettext_lazy("Country"), initial="CN")
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=1900, max_value=2100)
    subdiv = forms.CharField(
        label=gettext_lazy("Subdivision"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("Optional region code, e.g. SCT for Scotland in GB."),
    )
    replace = forms.BooleanField(
        label=gettext_lazy("Replace rows edited by hand"),
        required=False,
        help_text=gettext_lazy("Without this, exceptions an admin created or changed on those dates are kept."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [(code, code) for code in supported_countries()]
        self.fields["year"].initial = timezone.localdate().year + 1


# The intermediate page of the import action: small enough to live beside the action that renders it.
IMPORT_PAGE = """{% extends "admin/base_site.html" %}{% load i18n %}
{% block content %}<div id="content-main">
<p>{% translate "Public holidays and, where the package knows them (China), make-up working days." %}</p>
<ul>{% for calendar in calendars %}<li>{{ calendar }}</li>{% endfor %}</ul>
<form method="post" novalidate>{% csrf_token %}
{{ form.non_field_errors }}
<fieldset class="module aligned">{% for field in form %}
<div class="form-row{% if field.errors %} errors{% endif %}">{{ field.errors }}
<div class="flex-container">{{ field.label_tag }} {{ field }}</div>
{% if field.help_text %}<div class="help">{{ field.help_text }}</div>{% endif %}</div>{% endfor %}
</fieldset>
{% for calendar in calendars %}<input type="hidden" name="_selected_action" value="{{ calendar.pk }}">{% endfor %}
<input type="hidden" name="action" value="import_holidays">
<div class="submit-row"><input type="submit" class="default" name="apply" value="{% translate 'Import' %}"></div>
</form></div>{% endblock %}"""


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ("name", "time_zone", "is_24x7", "hours_per_week")
    list_filter = ("is_24x7", "time_zone")
    search_fields = ("name", "description")
    readonly_fields = ("hours_per_week",)
    fields = ("name", "time_zone", "is_24x7", "hours_per_week", "description")
    inlines = (WorkingPeriodInline, CalendarExceptionInline)
    actions = ("import_holidays",)

    def get_queryset(self, request):
        # hours_per_week reads the periods: one query for the whole list page.
        return super().get_queryset(request).prefetch_related("periods")

    @admin.display(description=gettext_lazy("hours per week"))
    def hours_per_week(self, calendar: BusinessCalendar) -> str:
        if calendar.pk is None:
            return "—"
        if calendar.is_24x7:
            return _("24×7")
        return format_duration(calendar.hours_per_week())

    @admin.action(description=gettext_lazy("Import public holidays…"), permissions=["change"])
    def import_holidays(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask for a country and a year, then import into each selected calendar."""
        form = ImportHolidaysForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                for calendar in queryset:
                    self._report(request, calendar, import_public_holidays(calendar=calendar, **form.cleaned_data))
                return None  # back to the list, with the messages
            except ValueError as error:  # an unknown subdivision or a year the package does not cover
                form.add_error(None, str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import public holidays"),
            "form": form,
            "calendars": list(queryset),
        }
        return HttpResponse(engines["django"].from_string(IMPORT_PAGE).render(context, request))

    def _report(self, request: HttpRequest, calendar: BusinessCalendar, result: ImportResult) -> None:
        self.message_user(
            request,
            _(
                "%(calendar)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(skipped)d kept as edited by hand, %(deleted)d removed."
            )
            % {"calendar": calendar, **vars(result)},
            messages.SUCCESS,
        )
        if result.lacks_make_up_days:
            self.message_user(request, result.missing_make_up_days_note(), messages.WARNING)


# -- SLA policies and clocks ------------------------------------------------------------------------------


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0


class SLAActionInline(admin.TabularInline):
    model = SLAAction
    extra = 0
    autocomplete_fields = ("group",)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "kind", "priorities", "calendar", "pause_states", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("kind", "is_active", "calendar")
    search_fields = ("name",)
    autocomplete_fields = ("service", "organisation")
    inlines = (SLATargetInline, SLAActionInline)


class SLAClockEventInline(admin.TabularInline):
    model = SLAClockEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "percent", "elapsed", "target", "old_target", "detail")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SLAClock)
class SLAClockAdmin(admin.ModelAdmin):
    """Clocks change only with their tickets and the sweep: the admin shows them and their timelines."""

    list_display = ("ticket", "metric", "status", "target", "breach_at", "breached_at", "policy")
    list_filter = ("metric", "status", "policy")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "policy")
    readonly_fields = [field.name for field in SLAClock._meta.fields]
    inlines = (SLAClockEventInline,)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
