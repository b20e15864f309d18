"""Configuration screens for the core: support groups; tickets are read-only here (the desk changes them)."""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import AssignmentGroup, CannedResponse, IMWebhook, Notification, Ticket, TicketEvent


@admin.register(AssignmentGroup)
class AssignmentGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "manager", "is_default", "is_active")
    list_filter = ("is_active", "is_default")
    search_fields = ("name", "description")
    filter_horizontal = ("members",)
    autocomplete_fields = ("manager",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Tickets and their log change only through services, so the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "title", "state", "priority", "assignment_group", "assignee", "created_at")
    list_filter = ("kind", "state", "priority", "is_open")
    search_fields = ("number", "title")
    list_select_related = ("assignment_group", "assignee")
    show_full_result_count = False


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "field", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("ticket", "actor")
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox, to see what was sent where and why a delivery failed (the delivery task writes it)."""

    list_display = ("event", "recipient", "channel", "topic", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "channel", "topic")
    search_fields = ("event__ticket__number", "recipient__username", "recipient__email")
    list_select_related = ("event", "recipient")
    show_full_result_count = False


@admin.register(IMWebhook)
class IMWebhookAdmin(admin.ModelAdmin):
    """Chat webhooks: one per support group (its members' messages) or per person (theirs, before the group's)."""

    list_display = ("name", "kind", "group", "user", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "group__name", "user__username")
    list_select_related = ("group", "user")
    autocomplete_fields = ("group", "user")
    # Webhook URLs are https; say so now rather than when Django 6 changes the default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "kind", "url", "secret", "is_active")}),
        (
            _("Whom it serves"),
            {
                "fields": ("group", "user"),
                "description": _(
                    "Choose a support group (messages for its members go here) or one person (a personal "
                    "webhook, used instead of their group's)."
                ),
            },
        ),
    )


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    """Reply templates for the desk; placeholders {number}, {title}, {requester}, {agent} and {group}."""

    list_display = ("title", "owner", "group", "is_active")
    list_filter = ("is_active", "group")
    search_fields = ("title", "body")
    list_select_related = ("owner", "group")
    autocomplete_fields = ("owner", "group")
    fieldsets = (
        (None, {"fields": ("title", "body", "is_active")}),
        (
            _("Who is offered it"),
            {
                "fields": ("owner", "group"),
                "description": _(
                    "Leave both empty to offer it to every engineer. Placeholders: {number}, {title}, "
                    "{requester}, {agent} (the engineer), {group}."
                ),
            },
        ),
    )


# People: departments, and the user screen with each person's profile (department, line manager).
from .admin_people import register_people_admin  # noqa: E402

register_people_admin(admin.site)
