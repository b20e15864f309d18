"""Configuration items in admin (the CMDB practice brings classes, relations and import later)."""

from django.contrib import admin

from .models import ConfigurationItem


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    list_display = ("name", "ci_type", "status")
    list_filter = ("ci_type", "status")
    search_fields = ("name", "description")
