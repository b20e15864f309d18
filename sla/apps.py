from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Service levels: business calendars, SLA policies and the clocks on every ticket."""

    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from servicedesk.registry import register_listener

        from .engine import track_clocks

        register_listener(track_clocks)
