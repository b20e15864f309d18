"""Knowledge configuration in admin: categories and tags; articles read-only, retired or flagged via services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.admin import ReadOnlyAdmin
from servicedesk.services import TicketError

from . import services
from .models import Article, ArticleEvent, ArticleVersion, Category, Tag


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "parent", "position")
    list_editable = ("position",)
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("parent__parent",)
    search_fields = ("name",)
    autocomplete_fields = ("parent",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VersionInline(_ReadOnlyInline):
    model = ArticleVersion
    fields = ("number", "title", "change_note", "author", "published_by", "published_at")
    readonly_fields = fields


class EventInline(_ReadOnlyInline):
    model = ArticleEvent
    fields = ("created_at", "kind", "actor", "from_state", "to_state", "version", "text")
    readonly_fields = fields


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "state", "audience", "owner", "is_live", "flagged", "review_by", "updated_at")
    list_filter = ("state", "audience", "language", "is_live", "flagged")
    search_fields = ("title",)
    list_select_related = ("owner",)
    inlines = (VersionInline, EventInline)
    actions = ("retire_selected", "flag_selected")
    show_full_result_count = False

    def _run(self, request, queryset, action, done: str) -> None:
        count = 0
        for article in queryset:
            try:
                action(article)
            except (PermissionDenied, TicketError) as error:
                self.message_user(request, f"{article.number}: {error}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Retire the selected articles"))
    def retire_selected(self, request, queryset):
        reason = _("Retired in the admin by %(user)s.") % {"user": request.user.get_username()}
        self._run(
            request,
            queryset,
            lambda article: services.retire_article(article=article, actor=request.user, reason=reason),
            _("Articles retired: %(count)d."),
        )

    @admin.action(description=gettext_lazy("Flag the selected articles for their owners"))
    def flag_selected(self, request, queryset):
        reason = _("Flagged in the admin by %(user)s.") % {"user": request.user.get_username()}
        self._run(
            request,
            queryset,
            lambda article: services.flag_article(article=article, actor=request.user, reason=reason),
            _("Articles flagged: %(count)d."),
        )
