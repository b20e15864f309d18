from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    """The shared core: tickets, groups, activity log, portal and desk shells."""

    name = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from . import registry
        from .notifications import requester_updates_listener

        registry.register_listener(requester_updates_listener)
