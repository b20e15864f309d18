"""Incidents are worked in the desk; the admin lists them read-only for support staff."""

from django.contrib import admin

from servicedesk.admin import ReadOnlyAdmin

from .models import Incident


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "state", "priority", "assignment_group", "assignee", "created_at")
    list_filter = ("state", "priority", "resolution_code")
    search_fields = ("number", "title")
    list_select_related = ("assignment_group", "assignee")
    show_full_result_count = False
