"""The registry between the core and the practices: kinds and change listeners."""

import pytest

from servicedesk import registry
from servicedesk.registry import StateInfo, TicketKind


def _kind(code="probe", prefix="PRB"):
    return TicketKind(
        code=code,
        prefix=prefix,
        label="Probe",
        model_label="servicedesk.Ticket",
        states={"new": StateInfo("New", "Received")},
        initial_state="new",
    )


def test_incidents_are_registered_by_their_app():
    kind = registry.get_kind("incident")

    assert (kind.prefix, kind.model_label) == ("INC", "incidents.Incident")
    assert kind.open_states == {"new", "assigned", "in_progress", "on_hold"}


def test_an_unknown_kind_is_a_lookup_error():
    with pytest.raises(LookupError, match="unknown ticket kind"):
        registry.get_kind("nonsense")


def test_a_kind_code_cannot_be_registered_twice_differently():
    incident = registry.get_kind("incident")

    with pytest.raises(ValueError, match="already registered"):
        registry.register_kind(_kind(code="incident", prefix=incident.prefix))


def test_a_number_prefix_cannot_be_shared_by_two_kinds():
    with pytest.raises(ValueError, match="already used"):
        registry.register_kind(_kind(code="probe", prefix="INC"))


def test_an_unknown_state_reads_as_its_code():
    assert registry.get_kind("incident").state("limbo") == StateInfo(label="limbo", public_label="limbo")


def test_listeners_register_once_and_unregister():
    def listener(*, ticket, events):
        """A listener as a practice would add."""

    registry.register_listener(listener)
    registry.register_listener(listener)
    try:
        assert registry.listeners().count(listener) == 1
    finally:
        registry.unregister_listener(listener)

    assert listener not in registry.listeners()
