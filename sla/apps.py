from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Service levels: business calendars, SLA policies and the clocks on every ticket."""

    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from servicedesk.registry import register_listener, register_ticket_panel

        from .engine import track_clocks

        # Before the save: the nearest deadline it sets on the ticket goes into the change's own UPDATE.
        register_listener(track_clocks, before_save=True)
        register_ticket_panel("desk", "sla/desk_clocks.html")
        register_ticket_panel("portal", "sla/portal_target.html")
