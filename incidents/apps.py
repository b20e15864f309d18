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
                    S.ASSIGNED: StateInfo(
                        S.ASSIGNED.label, _("An engineer will look at it shortly"), "primary", notify_requester=False
                    ),
                    S.IN_PROGRESS: StateInfo(
                        S.IN_PROGRESS.label, _("An engineer is working on it"), "info", notify_requester=False
                    ),
                    S.ON_HOLD: StateInfo(S.ON_HOLD.label, _("Waiting: see the latest message"), "warning"),
                    S.RESOLVED: StateInfo(S.RESOLVED.label, _("Solved: please confirm"), "success", is_open=False),
                    S.CLOSED: StateInfo(S.CLOSED.label, _("Closed"), "dark", is_open=False),
                    S.CANCELLED: StateInfo(S.CANCELLED.label, _("Cancelled"), "secondary", is_open=False),
                },
                tracked_fields=(
                    "impact",
                    "urgency",
                    "category",
                    "subcategory",
                    "affected_service",
                    "configuration_item",
                    "on_hold_reason",
                    "resolution_code",
                    "resolution_notes",
                    "is_major",
                    "parent",
                    "merged_into",
                ),
                desk_actions_template="incidents/desk_actions.html",
                portal_actions_template="incidents/portal_actions.html",
                portal_create_url="incidents:report",
            )
        )
        from servicedesk.registry import register_listener

        from .listeners import follow_assignment, resume_on_caller_reply

        register_listener(follow_assignment)
        register_listener(resume_on_caller_reply)
