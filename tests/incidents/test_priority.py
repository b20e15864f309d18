"""Impact x urgency gives the priority through the admin-configured matrix; overrides need a reason."""

import pytest
from django.core.exceptions import PermissionDenied

from cmdb.models import CIType, ConfigurationItem
from incidents import services
from incidents.choices import Impact, Urgency
from incidents.models import Category, Incident, PriorityMatrixEntry
from servicedesk.choices import Priority
from servicedesk.models import TicketEvent
from servicedesk.services import TicketError
from tests.factories import report, ticket_state


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [(1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 1, 2), (2, 2, 3), (2, 3, 4), (3, 1, 3), (3, 2, 4), (3, 3, 5)],
)
def test_the_default_matrix(db, impact, urgency, priority):
    assert services.priority_for(impact, urgency) == priority


def test_a_portal_report_is_low_impact_medium_urgency(incident):
    assert (incident.impact, incident.urgency, incident.priority) == (Impact.LOW, Urgency.MEDIUM, Priority.LOW)


def test_the_matrix_is_read_from_the_database(alice, service_desk):
    PriorityMatrixEntry.objects.filter(impact=Impact.LOW, urgency=Urgency.HIGH).update(priority=Priority.CRITICAL)

    incident = report(alice, impact=Impact.LOW, urgency=Urgency.HIGH)

    assert incident.priority == Priority.CRITICAL


def test_classification_recomputes_the_priority_and_logs_each_field(incident, lin):
    incident = services.classify_incident(incident=incident, actor=lin, impact=Impact.HIGH, urgency=Urgency.HIGH)

    assert incident.priority == Priority.CRITICAL
    fields = set(TicketEvent.objects.filter(ticket=incident, kind="field").values_list("field", flat=True))
    assert {"impact", "urgency", "priority"} <= fields


def test_an_override_needs_a_reason_and_changes_nothing_without(incident, lin):
    before = ticket_state(incident)

    with pytest.raises(TicketError, match="differs from the matrix"):
        services.override_priority(incident=incident, actor=lin, priority=Priority.CRITICAL, reason="  ")

    assert ticket_state(incident) == before


def test_an_override_is_logged_with_its_reason_and_survives_reclassification(incident, lin):
    incident = services.override_priority(
        incident=incident, actor=lin, priority=Priority.HIGH, reason="CEO's laptop before the board meeting"
    )
    event = TicketEvent.objects.get(ticket=incident, field="priority")
    assert (event.old_value, event.new_value, event.reason) == ("4", "2", "CEO's laptop before the board meeting")

    incident = services.classify_incident(incident=incident, actor=lin, urgency=Urgency.LOW)

    assert (incident.priority, incident.priority_overridden) == (Priority.HIGH, True)
    incident = services.restore_matrix_priority(incident=incident, actor=lin)
    assert (incident.priority, incident.priority_overridden) == (Priority.PLANNING, False)


def test_an_end_user_cannot_override(incident, alice):
    with pytest.raises(PermissionDenied):
        services.override_priority(incident=incident, actor=alice, priority=Priority.CRITICAL, reason="Urgent!")


def test_an_unknown_priority_is_refused(incident, lin):
    with pytest.raises(TicketError, match="Choose a priority"):
        services.override_priority(incident=incident, actor=lin, priority=9, reason="Why not")


# -- categories, service and CI ------------------------------------------------------------------------


@pytest.fixture
def network(db):
    network = Category.objects.create(name="Network")
    Category.objects.create(name="Wi-Fi", parent=network)
    return network


def test_categories_and_service_are_recorded(incident, lin, network):
    wifi = network.subcategories.get()
    mail = ConfigurationItem.objects.create(name="Email", ci_type=CIType.BUSINESS_SERVICE)

    incident = services.classify_incident(
        incident=incident, actor=lin, category=network, subcategory=wifi, affected_service=mail
    )

    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.category, incident.subcategory, incident.affected_service) == (network, wifi, mail)
    assert TicketEvent.objects.get(ticket=incident, field="subcategory").new_display == "Network / Wi-Fi"


def test_a_subcategory_of_another_category_is_refused(incident, lin, network):
    other = Category.objects.create(name="Printing")
    before = ticket_state(incident)

    with pytest.raises(TicketError, match="not a subcategory"):
        services.classify_incident(
            incident=incident, actor=lin, category=other, subcategory=network.subcategories.get()
        )

    assert ticket_state(incident) == before


def test_a_subcategory_cannot_be_the_category(alice, service_desk, network):
    with pytest.raises(TicketError, match="is a subcategory"):
        report(alice, category=network.subcategories.get())


def test_a_closed_incident_is_not_reclassified(resolved_incident, lin):
    with pytest.raises(TicketError, match="no longer open"):
        services.classify_incident(incident=resolved_incident, actor=lin, impact=Impact.HIGH)
