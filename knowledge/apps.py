from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """Knowledge: articles, their review and versions, search, feedback and links to tickets."""

    name = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self) -> None:
        from servicedesk.registry import register_ticket_panel

        from . import rules  # noqa: F401 - registers the knowledge permissions

        register_ticket_panel("desk", "knowledge/desk/ticket_panel.html")
