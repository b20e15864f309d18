from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    """Incident management: registers the incident ticket kind with the service desk core."""

    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        from servicedesk.registry import StateInfo, TicketKind, register_kind

        from .choices import IncidentState as S
        from .listeners import follow_assignment

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
                portal_create_label=_("Report an issue"),
                portal_create_icon="exclamation-triangle",
                before_commit=follow_assignment,
            )
        )
        from servicedesk.registry import register_listener

        from .listeners import resume_on_caller_reply

        register_listener(resume_on_caller_reply)

        from servicedesk.registry import register_banner_provider

        from . import escalation  # noqa: F401 - registers the escalation permissions
        from .listeners_major import major_incident_banners, resolve_children_with_parent

        register_listener(resolve_children_with_parent)
        register_banner_provider(major_incident_banners)

        # The CMDB side: the incidents on a CI's page, and the CI's impact on an incident's desk page.
        from cmdb.registry import register_ci_section
        from servicedesk.registry import register_ticket_panel

        from .cmdb_links import ci_incidents

        register_ci_section("incidents/ci_section.html", ci_incidents)
        register_ticket_panel("desk", "incidents/desk/cmdb_panel.html")

        # Bulk state changes on selected desk queue rows: each row runs the same service as the ticket page.
        from servicedesk.registry import BulkAction, BulkField, register_bulk_actions

        from .choices import HoldReason, ResolutionCode

        register_bulk_actions(
            "incident",
            {
                "start_work": BulkAction(_("Start work"), "incidents.services.start_work", ticket_arg="incident"),
                "put_on_hold": BulkAction(
                    _("Put on hold"),
                    "incidents.services.put_on_hold",
                    fields=(BulkField("reason", _("Waiting for"), choices=HoldReason.choices),),
                    ticket_arg="incident",
                ),
                "resolve": BulkAction(
                    _("Resolve"),
                    "incidents.services.resolve_incident",
                    fields=(
                        BulkField("code", _("Resolution code"), choices=ResolutionCode.choices),
                        BulkField("notes", _("Resolution notes"), multiline=True),
                    ),
                    ticket_arg="incident",
                ),
                "cancel": BulkAction(
                    _("Cancel"),
                    "incidents.services.cancel_incident",
                    fields=(BulkField("reason", _("Reason"), multiline=True),),
                    ticket_arg="incident",
                ),
            },
        )
