"""A first end-to-end check of the core through the service layer."""

from incidents import services
from incidents.choices import IncidentState


def test_report_take_resolve_accept(incident, lin, alice):
    assert incident.number == "INC0000001"
    assert incident.assignment_group.name == "Service Desk"
    incident = services.take_incident(incident=incident, actor=lin)
    assert incident.state == IncidentState.IN_PROGRESS
    incident = services.resolve_incident(incident=incident, actor=lin, code="permanent", notes="Reset the router.")
    assert incident.state == IncidentState.RESOLVED
    incident = services.accept_resolution(incident=incident, actor=alice)
    assert incident.state == IncidentState.CLOSED
    assert not incident.is_open
