"""The incident: a ticket kind with its own lifecycle (New, In Progress, Resolved, Closed, Cancelled)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from servicedesk.models import Ticket

from .choices import IncidentState, ResolutionCode
from .rules import can_cancel, can_confirm, can_work


class Incident(Ticket):
    """An unplanned interruption or degradation of a service, to be restored as fast as possible."""

    KIND = "incident"

    resolution_code = models.CharField(_("resolution code"), max_length=32, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    # Transitions: services call these; views never assign a state. Each carries who may run it.

    @transition(field="state", source=IncidentState.NEW, target=IncidentState.IN_PROGRESS, permission=can_work)
    def start_work(self):
        """An engineer has picked the incident up."""

    @transition(
        field="state",
        source=[IncidentState.NEW, IncidentState.IN_PROGRESS],
        target=IncidentState.RESOLVED,
        permission=can_work,
    )
    def resolve(self, *, code: str, notes: str):
        """Service restored: the requester is asked to confirm."""
        self.resolution_code = code
        self.resolution_notes = notes
        self.resolved_at = timezone.now()

    @transition(field="state", source=IncidentState.RESOLVED, target=IncidentState.CLOSED, permission=can_confirm)
    def close(self):
        """The requester accepted the resolution (or the confirmation period ran out)."""
        self.closed_at = timezone.now()

    @transition(field="state", source=IncidentState.RESOLVED, target=IncidentState.IN_PROGRESS, permission=can_confirm)
    def reopen(self):
        """The requester says the issue is not solved."""
        self.resolved_at = None
        self.resolution_code = ""
        self.resolution_notes = ""
        self.reopen_count += 1

    @transition(field="state", source=IncidentState.NEW, target=IncidentState.CANCELLED, permission=can_cancel)
    def cancel(self):
        """Withdrawn by its requester (or by the desk) before work started."""
        self.closed_at = timezone.now()
