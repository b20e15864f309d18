from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    """Incident management: registers the incident ticket kind with the service desk core."""

    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        from servicedesk.registry import StateInfo, TicketKind, register_kind

        from .choices import IncidentState as S

        register_kind(
            TicketKind(
                code="incident",
                prefix="INC",
                label=_("Incident"),
                model_label="incidents.Incident",
                initial_state=S.NEW,
                states={
                    S.NEW: StateInfo(S.NEW.label, _("Received: waiting for an engineer"), "primary"),
                    S.IN_PROGRESS: StateInfo(S.IN_PROGRESS.label, _("An engineer is working on it"), "info"),
                    S.RESOLVED: StateInfo(S.RESOLVED.label, _("Solved: please confirm"), "success", is_open=False),
                    S.CLOSED: StateInfo(S.CLOSED.label, _("Closed"), "dark", is_open=False),
                    S.CANCELLED: StateInfo(S.CANCELLED.label, _("Cancelled"), "secondary", is_open=False),
                },
                tracked_fields=("resolution_code", "resolution_notes"),
                desk_actions_template="incidents/desk_actions.html",
                portal_actions_template="incidents/portal_actions.html",
                portal_create_url="incidents:report",
            )
        )
