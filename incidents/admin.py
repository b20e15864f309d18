"""Incident configuration in admin: the policy, the priority matrix; incidents themselves read-only."""

from django.contrib import admin

from servicedesk.admin import ReadOnlyAdmin

from .models import Incident, IncidentPolicy, PriorityMatrixEntry


@admin.register(IncidentPolicy)
class IncidentPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reopen_window_days", "auto_close_after_days")

    def has_add_permission(self, request):
        return not IncidentPolicy.objects.exists()  # one row: the desk's policy

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PriorityMatrixEntry)
class PriorityMatrixEntryAdmin(admin.ModelAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_filter = ("impact", "urgency")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "state", "priority", "is_major", "assignment_group", "assignee", "created_at")
    list_filter = ("state", "priority", "is_major", "resolution_code")
    search_fields = ("number", "title")
    list_select_related = ("assignment_group", "assignee")
    show_full_result_count = False


from . import admin_routing  # noqa: E402, F401 - assignment rules, categories and skills screens
