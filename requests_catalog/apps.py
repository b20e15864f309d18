from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsCatalogConfig(AppConfig):
    """Service catalog and request fulfilment: registers the request and fulfilment task ticket kinds."""

    name = "requests_catalog"
    verbose_name = _("Service requests and catalog")

    def ready(self) -> None:
        from servicedesk.registry import StateInfo, TicketKind, register_kind, register_listener

        from .choices import RequestState as R
        from .choices import TaskState as T
        from .listeners import resume_task_on_requester_reply

        register_kind(
            TicketKind(
                code="request",
                prefix="REQ",
                label=_("Service request"),
                model_label="requests_catalog.ServiceRequest",
                initial_state=R.SUBMITTED,
                states={
                    R.SUBMITTED: StateInfo(R.SUBMITTED.label, _("Received"), "primary"),
                    R.AWAITING_APPROVAL: StateInfo(
                        R.AWAITING_APPROVAL.label, _("Waiting for approval"), "warning", notify_requester=False
                    ),
                    R.APPROVED: StateInfo(R.APPROVED.label, _("Approved"), "info"),
                    R.REJECTED: StateInfo(R.REJECTED.label, _("Not approved"), "danger", is_open=False),
                    R.IN_FULFILMENT: StateInfo(R.IN_FULFILMENT.label, _("Being delivered"), "info"),
                    R.FULFILLED: StateInfo(R.FULFILLED.label, _("Delivered"), "success", is_open=False),
                    R.CLOSED: StateInfo(R.CLOSED.label, _("Closed"), "dark", is_open=False, notify_requester=False),
                    R.CANCELLED: StateInfo(R.CANCELLED.label, _("Cancelled"), "secondary", is_open=False),
                },
                tracked_fields=("requested_for", "rejection_reason", "cancel_reason"),
                desk_actions_template="requests_catalog/desk/request_actions.html",
                portal_actions_template="requests_catalog/portal/request_actions.html",
                portal_create_url="requests_catalog:catalog",
                portal_create_label=_("Order from the catalog"),
                portal_create_icon="grid",
            )
        )
        register_kind(
            TicketKind(
                code="task",
                prefix="TASK",
                label=_("Fulfilment task"),
                model_label="requests_catalog.FulfilmentTask",
                initial_state=T.PENDING,
                states={
                    # Waiting for an earlier step: not in any queue yet.
                    T.PENDING: StateInfo(T.PENDING.label, T.PENDING.label, "light", is_open=False),
                    T.OPEN: StateInfo(T.OPEN.label, T.OPEN.label, "primary"),
                    T.IN_PROGRESS: StateInfo(T.IN_PROGRESS.label, T.IN_PROGRESS.label, "info"),
                    T.AWAITING_REQUESTER: StateInfo(T.AWAITING_REQUESTER.label, T.AWAITING_REQUESTER.label, "warning"),
                    T.DONE: StateInfo(T.DONE.label, T.DONE.label, "success", is_open=False),
                    T.CANCELLED: StateInfo(T.CANCELLED.label, T.CANCELLED.label, "secondary", is_open=False),
                },
                tracked_fields=("completion_notes",),
                desk_actions_template="requests_catalog/desk/task_actions.html",
                portal_visible=False,
            )
        )
        register_listener(resume_task_on_requester_reply)

        # The CMDB side: the requests whose order form names a CI, listed on that CI's page.
        from cmdb.registry import register_ci_section

        from .cmdb_links import ci_requests

        register_ci_section("requests_catalog/desk/ci_section.html", ci_requests)

        # Bulk actions on selected task rows in the desk queues: each row runs the same service as the task page.
        from servicedesk.registry import BulkAction, BulkField, register_bulk_actions

        register_bulk_actions(
            "task",
            {
                "start_task": BulkAction(_("Start work"), "requests_catalog.services.start_task", ticket_arg="task"),
                "complete_task": BulkAction(
                    _("Mark done"),
                    "requests_catalog.services.complete_task",
                    fields=(BulkField("notes", _("What was done"), multiline=True, required=False),),
                    ticket_arg="task",
                ),
            },
        )
