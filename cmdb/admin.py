"""CMDB configuration screens: the class tree with its attributes, relation types with their allowed pairs, CIs.

CIs and relations saved here go through ``cmdb.services`` (validation, identifiers, history, permission).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .attributes import validate_attributes
from .models import CIAttribute, CIClass, CIHistory, ConfigurationItem, Relation, RelationType, RelationTypePair


class CIAttributeInline(admin.TabularInline):
    model = CIAttribute
    fk_name = "ci_class"
    extra = 0
    fields = ("position", "key", "label", "type", "required", "is_identifier", "choices", "reference_class")


@admin.register(CIClass)
class CIClassAdmin(admin.ModelAdmin):
    list_display = ("tree_name", "kind", "parent")
    list_filter = ("kind",)
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
    list_display = ("name", "ci_class", "ci_type", "status", "environment", "owner_group")
    list_filter = ("ci_type", "status", "environment", "ci_class")
    list_select_related = ("ci_class",)
    search_fields = ("name", "description")
    inlines = [OutgoingRelationInline, IncomingRelationInline, CIHistoryInline]

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in services.PLAIN_FIELDS}
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
