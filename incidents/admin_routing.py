"""Configuration screens for routing: assignment rules, the category tree with its skills, and skills.

Imported from incidents/admin.py (admin autodiscovery imports only admin modules).
"""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from servicedesk.models import Skill

from .models import AssignmentRule, Category


class AssignmentRuleForm(forms.ModelForm):
    class Meta:
        model = AssignmentRule
        fields = ("name", "order", "is_active", "group", "category", "subcategory", "service", "channel", "keywords")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"].queryset = Category.objects.filter(parent__isnull=True)
        if "subcategory" in self.fields:
            self.fields["subcategory"].queryset = Category.objects.filter(parent__isnull=False).select_related("parent")

    def clean(self):
        data = super().clean()
        category, subcategory = data.get("category"), data.get("subcategory")
        if subcategory is not None and category is not None and subcategory.parent_id != category.pk:
            self.add_error(
                "subcategory", _("%(name)s is not a subcategory of the chosen category.") % {"name": subcategory}
            )
        if data.get("group") is not None and not data["group"].is_active:
            self.add_error("group", _("%(group)s is not an active group.") % {"group": data["group"]})
        return data


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    """Ordered rules: the first active one whose conditions all match routes a new incident to its group."""

    form = AssignmentRuleForm
    list_display = ("name", "order", "is_active", "category", "subcategory", "service", "channel", "keywords", "group")
    list_display_links = ("name",)
    list_editable = ("order", "is_active")
    list_filter = ("is_active", "group", "channel", "category")
    search_fields = ("name", "keywords")
    list_select_related = ("category", "subcategory__parent", "service", "group")
    autocomplete_fields = ("service", "group")
    ordering = ("order", "pk")
    fieldsets = (
        (None, {"fields": ("name", "order", "is_active", "group")}),
        (
            _("Conditions (empty ones match anything)"),
            {"fields": ("category", "subcategory", "service", "channel", "keywords")},
        ),
    )


class SubcategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ("name", "skills", "is_active")
    extra = 1
    verbose_name = _("subcategory")
    verbose_name_plural = _("subcategories")


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ("name", "parent", "skills", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "parent" in self.fields:
            parents = Category.objects.filter(parent__isnull=True)
            if self.instance.pk is not None:
                parents = parents.exclude(pk=self.instance.pk)
            self.fields["parent"].queryset = parents

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        # The tree has two levels: a category with subcategories cannot become one itself.
        if parent is not None and self.instance.pk is not None and self.instance.subcategories.exists():
            raise forms.ValidationError(_("A category with subcategories cannot become a subcategory."))
        return parent


class IsSubcategoryFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return (("top", _("Categories")), ("sub", _("Subcategories")))

    def queryset(self, request, queryset):
        if self.value() == "top":
            return queryset.filter(parent__isnull=True)
        if self.value() == "sub":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The category tree (two levels); skills tell routing which engineers to prefer."""

    form = CategoryForm
    list_display = ("__str__", "parent", "is_active", "skill_names")
    list_filter = (IsSubcategoryFilter, "is_active", "skills")
    search_fields = ("name", "parent__name")
    list_select_related = ("parent",)
    filter_horizontal = ("skills",)
    inlines = (SubcategoryInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("skills")

    def get_inlines(self, request, obj):
        # Subcategories are edited under their category; a subcategory has none of its own.
        return () if obj is not None and obj.parent_id is not None else self.inlines

    @admin.display(description=_("skills"))
    def skill_names(self, obj) -> str:
        return ", ".join(skill.name for skill in obj.skills.all())


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    """What engineers know; categories ask for skills and routing prefers the engineers who have one."""

    list_display = ("name", "agent_count")
    search_fields = ("name", "description")
    filter_horizontal = ("agents",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_total=Count("agents", distinct=True))

    @admin.display(description=_("engineers"), ordering="agent_total")
    def agent_count(self, obj) -> int:
        return obj.agent_total
