"""CMDB configuration screens: the class tree with its attributes, relation types with their allowed pairs, CIs.

CIs and relations saved here go through ``cmdb.services`` (validation, identifiers, history, permission).
The CI list has an Import screen (``cmdb.imports``): small files import in the request, large ones in the
``cmdb.tasks.import_cis`` task with a progress page that polls a status view.
"""

import json
import time
import uuid

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from . import imports, services, tasks
from .attributes import validate_attributes
from .models import CIAttribute, CIClass, CIHistory, ConfigurationItem, Relation, RelationType, RelationTypePair
from .rules import can_manage_cmdb


class CIAttributeInline(admin.TabularInline):
    model = CIAttribute
    fk_name = "ci_class"
    extra = 0
    fields = ("position", "key", "label", "type", "required", "is_identifier", "choices", "reference_class")


@admin.register(CIClass)
class CIClassAdmin(admin.ModelAdmin):
    list_display = ("tree_name", "kind", "parent", "offered_to_all")
    list_filter = ("kind", "offered_to_all")
    search_fields = ("name", "description")
    inlines = [CIAttributeInline]

    @admin.display(description=_("class"))
    def tree_name(self, obj):
        return " > ".join(c.name for c in obj.lineage())


class RelationTypePairInline(admin.TabularInline):
    model = RelationTypePair
    extra = 0


@admin.register(RelationType)
class RelationTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "reverse_name")
    search_fields = ("name", "reverse_name")
    inlines = [RelationTypePairInline]


class ConfigurationItemForm(forms.ModelForm):
    """The attributes as JSON, checked against the chosen class like the services check them."""

    class Meta:
        model = ConfigurationItem
        fields = (
            "name",
            "ci_class",
            "status",
            "environment",
            "owner_group",
            "owned_by",
            "location",
            "description",
            "attributes",
        )

    def clean(self):
        data = super().clean()
        if not data.get("ci_class"):
            self.add_error("ci_class", _("Choose a class."))
            return data
        try:
            data["attributes"] = validate_attributes(data["ci_class"], data.get("attributes") or {})
            services.check_unique(
                ci_class=data["ci_class"],
                name=data.get("name") or "",
                attributes=data["attributes"],
                exclude_pk=self.instance.pk,
            )
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                if key in self.fields and key != "attributes":
                    self.add_error(key, messages)
                else:
                    self.add_error("attributes", [f"{key}: {message}" for message in messages])
        return data


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CIHistoryInline(ReadOnlyInline):
    model = CIHistory
    fields = ("at", "actor", "field", "old_value", "new_value")
    readonly_fields = fields
    ordering = ("-at", "-pk")


class OutgoingRelationInline(ReadOnlyInline):
    model = Relation
    fk_name = "source"
    verbose_name = _("relation to another CI")
    verbose_name_plural = _("relations to other CIs")
    fields = ("relation_type", "target", "created_by", "created_at")
    readonly_fields = fields


class IncomingRelationInline(ReadOnlyInline):
    model = Relation
    fk_name = "target"
    verbose_name = _("relation from another CI")
    verbose_name_plural = _("relations from other CIs")
    fields = ("source", "relation_type", "created_by", "created_at")
    readonly_fields = fields


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    form = ConfigurationItemForm
    list_display = ("name", "ci_class", "ci_type", "status", "environment", "owner_group", "owned_by")
    list_filter = ("ci_type", "status", "environment", "ci_class")
    list_select_related = ("ci_class", "owned_by")
    search_fields = ("name", "description", "owned_by__username")
    autocomplete_fields = ("owned_by",)
    inlines = [OutgoingRelationInline, IncomingRelationInline, CIHistoryInline]

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in services.PLAIN_FIELDS}
        data["owned_by"] = form.cleaned_data["owned_by"]
        if change:
            saved = services.update_ci(
                actor=request.user,
                ci=obj,
                ci_class=form.cleaned_data["ci_class"],
                attributes=_replacing(obj.pk, form.cleaned_data["attributes"]),
                **data,
            )
        else:
            saved = services.create_ci(
                actor=request.user,
                ci_class=form.cleaned_data["ci_class"],
                attributes=form.cleaned_data["attributes"],
                **data,
            )
        obj.pk = saved.pk

    # -- import

    def get_urls(self):
        view, prefix = self.admin_site.admin_view, f"{self.opts.app_label}_{self.opts.model_name}"
        # Before the default URLs: "<object_id>/" would take "import/" too.
        return [
            path("import/", view(self.import_view), name=f"{prefix}_import"),
            path("import/<uuid:job>/", view(self.import_progress_view), name=f"{prefix}_import_progress"),
            path("import/<uuid:job>/status/", view(self.import_status_view), name=f"{prefix}_import_status"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": can_manage_cmdb(request.user)}
        return super().changelist_view(request, extra_context)

    def _import_context(self, request, **context):
        if not can_manage_cmdb(request.user):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": _("Import CIs"), **context}

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload CIs (and relations); small files are imported here, large ones by the Celery task."""
        context = self._import_context(request)
        form = CIImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            content = data["file"].read()
            relations = data["relations"].read() if data.get("relations") else None
            rows = imports.count_rows(content, data["format"]) + (
                len(imports.read_relation_rows(relations)) if relations else 0
            )
            if rows > imports.SYNC_LIMIT:
                job = self._enqueue(request, content, relations, data)
                return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_progress", job=job)
            report = imports.import_cis(
                content, fmt=data["format"], actor=request.user, dry_run=data["dry_run"], relations=relations
            )
        context.update(form=form, report=report)
        return TemplateResponse(request, "admin/cmdb/configurationitem/import.html", context)

    def _enqueue(self, request, content: bytes, relations: bytes | None, data: dict) -> str:
        job = str(uuid.uuid4())
        folder = tasks.report_path(job).parent
        folder.mkdir(parents=True, exist_ok=True)
        upload = folder / f"{job}.upload.{data['format']}"
        upload.write_bytes(content)
        relations_path = None
        if relations:
            relations_path = folder / f"{job}.relations.csv"
            relations_path.write_bytes(relations)
        kwargs = {
            "fmt": data["format"],
            "relations_path": str(relations_path) if relations_path else None,
            "actor_id": request.user.pk,
        }
        transaction.on_commit(lambda: tasks.import_cis.delay(job, str(upload), data["dry_run"], **kwargs))
        return job

    def import_progress_view(self, request: HttpRequest, job) -> HttpResponse:
        """The page of a background import; its status part reloads every second until the job is done."""
        context = self._import_context(request, job=job, **self._status(job))
        return TemplateResponse(request, "admin/cmdb/configurationitem/import_progress.html", context)

    def import_status_view(self, request: HttpRequest, job) -> HttpResponse:
        context = self._import_context(request, job=job, **self._status(job))
        return TemplateResponse(request, "admin/cmdb/configurationitem/_import_status.html", context)

    def _status(self, job) -> dict:
        state = tasks.job_progress(str(job))
        folder = tasks.report_path(str(job)).parent
        if state is None and not any(folder.glob(f"{job}.upload.*")):
            raise Http404
        state = state or {"state": "queued", "processed": 0, "total": 0}
        report = None
        if state["state"] == "done" and tasks.report_path(str(job)).exists():
            report = json.loads(tasks.report_path(str(job)).read_text())
        percent = int(100 * state["processed"] / state["total"]) if state.get("total") else 0
        quiet = time.time() - state["at"] if state["state"] == "running" and "at" in state else 0
        return {
            "progress": state,
            "percent": percent,
            # A worker that died mid-import leaves its last reading; the broker hands the task out again later.
            "stalled_minutes": int(quiet // 60) if quiet > tasks.STALLED_AFTER else None,
            "report_data": report,
            "status_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import_status", kwargs={"job": job}
            ),
        }


class CIImportForm(forms.Form):
    file = forms.FileField(
        label=_("CIs file"),
        help_text=_(
            'CSV (class, name, status … one column per attribute) or JSON ({"cis": [...], "relations": [...]}).'
        ),
    )
    format = forms.ChoiceField(label=_("format"), choices=[("csv", "CSV"), ("json", "JSON")])
    relations = forms.FileField(
        label=_("relations file"),
        required=False,
        help_text=_("Optional CSV: source_class, source, relation, target_class, target."),
    )
    dry_run = forms.BooleanField(
        label=_("dry run"), required=False, initial=True, help_text=_("Report what would change; write nothing.")
    )


def _replacing(pk: int, attributes: dict) -> dict:
    """The form holds the whole attribute set: keys left out of it are removed."""
    stored = ConfigurationItem.objects.filter(pk=pk).values_list("attributes", flat=True).first() or {}
    return {**dict.fromkeys(stored), **attributes}


class RelationForm(forms.ModelForm):
    class Meta:
        model = Relation
        fields = ("source", "relation_type", "target")

    def clean(self):
        data = super().clean()
        source, target, relation_type = data.get("source"), data.get("target"), data.get("relation_type")
        if source and target and relation_type and not relation_type.allows(source.ci_class, target.ci_class):
            self.add_error(
                "relation_type",
                _("A %(source)s cannot be related to a %(target)s by “%(type)s”.")
                % {"source": source.ci_class or "-", "target": target.ci_class or "-", "type": relation_type},
            )
        return data


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    form = RelationForm
    list_display = ("source", "relation_type", "target", "created_by", "created_at")
    list_filter = ("relation_type",)
    list_select_related = ("source", "target", "relation_type", "created_by")
    search_fields = ("source__name", "target__name")
    raw_id_fields = ("source", "target")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = services.add_relation(
            actor=request.user, source=obj.source, target=obj.target, relation_type=obj.relation_type
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.remove_relation(actor=request.user, relation=obj)

    def delete_queryset(self, request, queryset):
        for relation in queryset:
            services.remove_relation(actor=request.user, relation=relation)
