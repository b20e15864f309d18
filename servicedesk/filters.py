"""The desk queue's filters: one FilterSet shared by the queue page (and later the API and exports)."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Priority
from .models import AssignmentGroup, Ticket
from .registry import all_kinds


def _state_choices():
    seen = {}
    for kind in all_kinds():
        for code, info in kind.states.items():
            seen.setdefault(code, info.label)
    return list(seen.items())


def _kind_choices():
    return [(kind.code, kind.label) for kind in all_kinds()]


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    # distinct=False: these filter the ticket table's own columns, so no row can repeat (DISTINCT over wide
    # rows would cost a sort of every matching ticket).
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=_state_choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(label=_("Priority"), choices=Priority.choices, distinct=False)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=_kind_choices)
    assignment_group = django_filters.ModelChoiceFilter(
        label=_("Group"), queryset=AssignmentGroup.objects.filter(is_active=True)
    )
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"),
        queryset=lambda request: (
            get_user_model()
            .objects.filter(is_active=True, support_groups__isnull=False)
            .distinct()
            .order_by("username")
        ),
    )
    sla = django_filters.ChoiceFilter(
        label=_("Time to breach"),
        method="by_time_to_breach",
        choices=[
            ("breached", _("Past due")),
            ("1h", _("Due within 1 hour")),
            ("4h", _("Due within 4 hours")),
            ("today", _("Due within 24 hours")),
        ],
    )
    created_after = django_filters.DateFilter(
        label=_("Created from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        label=_("Created to"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Ticket
        fields = [
            "q",
            "state",
            "priority",
            "kind",
            "assignment_group",
            "assignee",
            "sla",
            "created_after",
            "created_before",
        ]

    def by_time_to_breach(self, queryset, name, value):
        """Open tickets whose nearest SLA deadline has passed, or comes within the chosen time."""
        from datetime import timedelta

        from django.utils import timezone

        now = timezone.now()
        if value == "breached":
            return queryset.filter(is_open=True, sla_due_at__lt=now)
        within = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "today": timedelta(hours=24)}.get(value)
        if within is None:
            return queryset
        return queryset.filter(is_open=True, sla_due_at__lte=now + within)

    def search(self, queryset, name, value):
        """A ticket number goes straight to it; otherwise match the title (trigram-indexed)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__iexact=value) | Q(title__icontains=value))
