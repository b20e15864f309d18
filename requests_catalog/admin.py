"""Catalog configuration screens: categories, items with their form, approval chain and workflow, export/import.

Saving an item publishes a version when its definition is valid and changed; requests, approvals and tasks are
read-only here (they change only through the services).
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.admin import ReadOnlyAdmin

from . import definition, transfer
from .form_engine import validate_definition
from .models import (
    Approval,
    ApprovalDelegation,
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogItemVersion,
    FulfilmentTask,
    ItemField,
    ServiceRequest,
    TaskTemplate,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_BOUND_DIGITS = 15
VERSIONS_SHOWN = 20


@admin.register(CatalogCategory)
class CatalogCategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "parent", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    # __str__ is the path from the top: three levels joined, deeper ones cost a query each.
    list_select_related = ("parent__parent__parent",)


# -- an item and its rows ---------------------------------------------------------------------------


class ItemFieldFormSet(forms.BaseInlineFormSet):
    """Checks the form as a whole (keys unique, show-if targets earlier, defaults valid …) before anything is saved."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        # Untouched extra forms have no cleaned data; deleted rows are not part of the form any more.
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        # The rows' own order (position, then the older row first), as `item_definition` reads them.
        rows = sorted((form.instance for form in kept), key=lambda row: (row.position, row.pk is None, row.pk or 0))
        problems = validate_definition([definition.field_definition(row) for row in rows])
        if problems:
            raise ValidationError(problems)


def _sane_bound(raw: str) -> str:
    """A min/max that `definition` can turn into a number: it makes an int of "1e9999999" (hangs) or "inf" (fails)."""
    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        return raw  # a date, "today" or junk: the form engine's check names it
    if not number.is_finite() or number.adjusted() > MAX_BOUND_DIGITS:
        raise ValidationError(_("Use a number of at most %(digits)d digits.") % {"digits": MAX_BOUND_DIGITS})
    return raw


class ItemFieldForm(forms.ModelForm):
    class Meta:
        model = ItemField
        fields = ("min_value", "max_value")  # the inline's `fields` decide the rest; this form adds the checks

    def clean_min_value(self):
        return _sane_bound(self.cleaned_data["min_value"])

    def clean_max_value(self):
        return _sane_bound(self.cleaned_data["max_value"])


class ItemFieldInline(admin.TabularInline):
    model = ItemField
    form = ItemFieldForm
    formset = ItemFieldFormSet
    extra = 0
    fields = (
        "position",
        "key",
        "label",
        "field_type",
        "required",
        "help_text",
        "default",
        "choices",
        "regex",
        "regex_message",
        "min_value",
        "max_value",
        "ci_types",
        "show_if_field",
        "show_if_operator",
        "show_if_value",
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The tabular inline is wide: keep the free-text cells small.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("choices", "default") and field is not None:
            field.widget.attrs.update(rows=2, cols=24)
        return field


class ApprovalStepInline(admin.TabularInline):
    model = ApprovalStep
    extra = 0
    fields = (
        "position",
        "name",
        "approver_type",
        "group",
        "user",
        "auto_approve_field",
        "auto_approve_operator",
        "auto_approve_value",
    )
    autocomplete_fields = ("group", "user")


class TaskTemplateForm(forms.ModelForm):
    class Meta:
        model = TaskTemplate
        fields = ("webhook_headers",)  # the inline's `fields` decide the rest; this form adds the check

    def clean_webhook_headers(self):
        # The column is not nullable, but an emptied JSON box cleans to None.
        headers = self.cleaned_data.get("webhook_headers")
        if headers is None or headers == "":
            return {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ValidationError(_('An object of header names and text values, e.g. {"Authorization": "Bearer …"}.'))
        return headers


class TaskTemplateInline(admin.StackedInline):
    model = TaskTemplate
    form = TaskTemplateForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    extra = 0
    fields = (("step", "title", "group"), "instructions", ("action", "webhook_url", "max_attempts"), "webhook_headers")
    autocomplete_fields = ("group",)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Export file (JSON)"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run"),
        required=False,
        initial=True,
        help_text=gettext_lazy("Check the file and show what would change, without changing anything."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // 2**20})
        return upload


@admin.register(CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "category", "version_number", "is_standard", "is_active")
    list_filter = ("is_active", "is_standard", "category")
    search_fields = ("name", "slug", "short_description")
    list_select_related = ("category__parent__parent", "current_version")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category", "fulfilment_group")
    filter_horizontal = ("allowed_groups", "allowed_departments")
    readonly_fields = ("version_number", "version_history")
    inlines = (ItemFieldInline, ApprovalStepInline, TaskTemplateInline)
    actions = ("export_selected",)
    change_list_template = "admin/requests_catalog/catalogitem/change_list.html"
    fieldsets = (
        (None, {"fields": ("name", "slug", "category", "short_description", "description", "icon")}),
        (
            gettext_lazy("Ordering"),
            {"fields": ("cost", "max_quantity", "expected_delivery_days", "is_standard", "fulfilment_group")},
        ),
        (
            gettext_lazy("Who may order it"),
            {"fields": ("allowed_groups", "allowed_departments")},
        ),
        (gettext_lazy("Catalog page"), {"fields": ("position", "is_active")}),
        (gettext_lazy("Versions"), {"fields": ("version_number", "version_history")}),
    )

    @admin.display(description=gettext_lazy("version"), ordering="current_version__number")
    def version_number(self, item: CatalogItem):
        return item.current_version.number if item.current_version_id else "—"

    @admin.display(description=gettext_lazy("history"))
    def version_history(self, item: CatalogItem):
        versions = item.versions.select_related("created_by")[:VERSIONS_SHOWN] if item.pk else []
        if not versions:
            return _("Not published yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    version.number,
                    f"{timezone.localtime(version.created_at):%Y-%m-%d %H:%M}",
                    version.created_by or "—",
                    version.note,
                )
                for version in versions
            ),
        )
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>", _("Version"), _("Created"), _("By"), _("Note")
        )
        return format_html("<table>{}{}</table>", header, rows)

    # -- publishing on save

    def save_related(self, request, form, formsets, change):
        """Publish once the rows are saved; an invalid definition stays a draft the portal does not offer."""
        super().save_related(request, form, formsets, change)
        item = form.instance
        problems = transfer.definition_problems(definition.item_definition(item))
        if problems:
            for problem in problems:
                self.message_user(request, problem, messages.ERROR)
            self.message_user(request, _("The item is saved, but no version was published."), messages.WARNING)
            return
        before = CatalogItem.objects.filter(pk=item.pk).values_list("current_version_id", flat=True).first()
        version = definition.publish_version(item, actor=request.user)
        if version.pk == before:
            self.message_user(request, _("No change: version %(number)d stays current.") % {"number": version.number})
        else:
            self.message_user(request, _("Published version %(number)d.") % {"number": version.number})

    # -- export and import

    @admin.action(description=gettext_lazy("Export selected items as JSON"), permissions=["view"])
    def export_selected(self, request: HttpRequest, queryset) -> HttpResponse:
        document = transfer.export_items(queryset.order_by("slug"))
        response = HttpResponse(transfer.to_json(document), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="catalog-export.json"'
        return response

    def has_import_permission(self, request: HttpRequest) -> bool:
        # An import creates and changes items.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        # Before the default URLs: "<object_id>/" would take "import/" too.
        return [path("import/", self.admin_site.admin_view(self.import_view), name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload an export; a dry run shows the report without writing, a real run imports when all is valid."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            report = transfer.import_items(data["file"].read(), actor=request.user, dry_run=data["dry_run"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import catalog items"),
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/requests_catalog/import.html", context)


@admin.register(CatalogItemVersion)
class CatalogItemVersionAdmin(ReadOnlyAdmin):
    """Versions are immutable: requests point at them."""

    list_display = ("item", "number", "created_at", "created_by", "note")
    list_filter = ("item",)
    search_fields = ("item__name", "item__slug", "note")
    list_select_related = ("item", "created_by")


@admin.register(ApprovalDelegation)
class ApprovalDelegationAdmin(admin.ModelAdmin):
    list_display = ("delegator", "delegate", "starts_on", "ends_on", "reason")
    list_filter = ("starts_on", "ends_on")
    search_fields = ("delegator__username", "delegate__username", "reason")
    list_select_related = ("delegator", "delegate")
    autocomplete_fields = ("delegator", "delegate")


# -- requests: read-only (the portal and the desk change them through the services) --------------


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "state", "requester", "requested_for", "assignment_group", "created_at")
    list_filter = ("state",)
    search_fields = ("number", "title")
    list_select_related = ("requester", "requested_for", "assignment_group")
    show_full_result_count = False


@admin.register(FulfilmentTask)
class FulfilmentTaskAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "request", "step", "state", "assignment_group", "assignee", "attempts")
    list_filter = ("state",)
    search_fields = ("number", "title", "request__number")
    list_select_related = ("request", "assignment_group", "assignee")
    show_full_result_count = False


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("line", "step_name", "approver", "state", "decided_by", "requested_at", "decided_at")
    list_filter = ("state", "approver_type")
    search_fields = ("line__request__number", "approver__username")
    list_select_related = ("line__item", "approver", "decided_by")
    show_full_result_count = False
