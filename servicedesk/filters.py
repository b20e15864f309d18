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
        fields = ["q", "state", "priority", "kind", "assignment_group", "assignee", "created_after", "created_before"]

    def search(self, queryset, name, value):
        """A ticket number goes straight to it; otherwise match the title (trigram-indexed)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__iexact=value) | Q(title__icontains=value))
