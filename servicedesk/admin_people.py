"""People in admin: departments, and each user's profile (department, line manager) on the user's page.

`servicedesk.admin` calls `register_people_admin(admin.site)`: by then django.contrib.auth has registered its own
user admin, which this one replaces. A function rather than import-time registration so tests can use a site of
their own.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import Department, Profile


class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "manager")
    search_fields = ("name",)
    list_select_related = ("parent", "manager")
    autocomplete_fields = ("parent", "manager")


class ProfileInline(admin.StackedInline):
    model = Profile
    fk_name = "user"  # Profile has a second foreign key to users: the manager
    fields = ("department", "manager", "job_title", "phone")
    autocomplete_fields = ("department", "manager")
    can_delete = False
    max_num = 1


class PersonAdmin(UserAdmin):
    """Django's user admin with the profile underneath."""

    inlines = (*UserAdmin.inlines, ProfileInline)

    def get_inlines(self, request, obj):
        # Adding a user keeps Django's two-step page (username and password first); the profile comes after.
        return self.inlines if obj is not None else ()


def register_people_admin(site: admin.AdminSite) -> None:
    """Put the department screen and the user admin with its profile on `site`."""
    user_model = get_user_model()
    if site.is_registered(user_model):
        site.unregister(user_model)
    site.register(user_model, PersonAdmin)
    site.register(Department, DepartmentAdmin)
