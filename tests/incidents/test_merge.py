"""Merging duplicates into one incident: what moves over, who is told, what closes, and every refusal."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from incidents import major, services
from incidents.choices import IncidentState, ResolutionCode
from incidents.listeners_major import major_incident_banners, resolve_children_with_parent
from incidents.merge import merge_incidents
from incidents.models import Incident
from servicedesk import registry, roles
from servicedesk.choices import EventKind
from servicedesk.models import Comment, Notification, Ticket, TicketEvent
from servicedesk.services import ChangedMeanwhile, TicketError, add_comment, assign_ticket
from tests.factories import UserFactory, messages_of, report, ticket_state, upload


@pytest.fixture(autouse=True)
def major_hooks():
    """The cascade listener and the banner provider, registered here until IncidentsConfig.ready does it."""
    added_listener = resolve_children_with_parent not in registry.listeners()
    added_provider = major_incident_banners not in registry.banner_providers()
    registry.register_listener(resolve_children_with_parent)
    registry.register_banner_provider(major_incident_banners)
    yield
    if added_listener:
        registry.unregister_listener(resolve_children_with_parent)
    if added_provider:
        registry.unregister_banner_provider(major_incident_banners)


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", roles=[roles.REQUESTER])


@pytest.fixture
def dave(db):
    return UserFactory(username="dave", roles=[roles.REQUESTER])


@pytest.fixture
def original(incident, lin):
    """alice's incident, In Progress with lin."""
    return services.take_incident(incident=incident, actor=lin)


@pytest.fixture
def dup_bob(bob, carol, lin, service_desk):
    """bob's report of the same thing: his screenshot, lin's reply, lin's internal note; carol watches it."""
    dup = report(bob, title="Wi-Fi gone", files=[upload("bob-wifi.png")])
    add_comment(ticket=dup, author=bob, body="It also drops on the 2nd floor.")
    add_comment(ticket=dup, author=lin, body="Do you see the network at all?")
    add_comment(ticket=dup, author=lin, body="INTERNAL: same AP as the other one.", internal=True)
    dup.watchers.add(carol)
    return Incident.objects.get(pk=dup.pk)


@pytest.fixture
def dup_dave(dave, service_desk):
    return report(dave, title="No wireless")


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def test_merge_moves_the_conversation_and_people_and_closes_the_duplicates(
    original, dup_bob, dup_dave, alice, bob, carol, dave, lin
):
    merged = merge_incidents(original=original, duplicates=[dup_dave, dup_bob], actor=lin)

    assert merged.pk == original.pk
    first, second = sorted([dup_bob, dup_dave], key=lambda d: d.pk)
    comments = list(Comment.objects.filter(ticket=original).order_by("pk"))
    note, *copies = comments
    assert note.is_internal and note.author == lin
    assert note.body == (
        f"Merged into this incident: {first.number}, {second.number}.\n\nAttachments on {dup_bob.number}: bob-wifi.png"
    )
    # Public replies only, in order, prefixed with the duplicate's number, their authors kept.
    assert [(c.author, c.body, c.is_internal) for c in copies] == [
        (bob, f"From {dup_bob.number}:\n\nIt also drops on the 2nd floor.", False),
        (lin, f"From {dup_bob.number}:\n\nDo you see the network at all?", False),
    ]
    assert all(
        TicketEvent.objects.get(comment=c).is_public and TicketEvent.objects.get(comment=c).kind == EventKind.COMMENT
        for c in copies
    )
    assert set(original.watchers.all()) == {bob, carol, dave}
    for dup in (dup_bob, dup_dave):
        row = fresh(dup)
        assert (row.state, row.is_open, row.merged_into_id, row.resolution_code) == (
            IncidentState.CLOSED,
            False,
            original.pk,
            ResolutionCode.DUPLICATE,
        )
        reply = Comment.objects.filter(ticket=dup).last()
        assert (reply.author, reply.is_internal) == (lin, False)
        assert f"merged into {original.number}" in reply.body
        # The requester is told: the reply is written to the outbox for them.
        assert Notification.objects.filter(event__comment=reply, recipient=dup.requester).exists()
        state = TicketEvent.objects.filter(ticket=dup, kind=EventKind.STATE).last()
        assert (state.new_value, state.actor, state.reason) == ("closed", lin, f"Merged into {original.number}.")


def test_the_original_requester_is_not_added_as_a_watcher(original, alice, lin, service_desk):
    dup = report(alice, title="Wi-Fi again")

    merge_incidents(original=original, duplicates=[dup], actor=lin)

    assert not original.watchers.exists()


def test_a_duplicate_named_twice_is_merged_once(original, dup_dave, lin):
    merge_incidents(original=original, duplicates=[dup_dave, dup_dave], actor=lin)

    assert fresh(dup_dave).merged_into_id == original.pk
    assert Comment.objects.get(ticket=original).body == f"Merged into this incident: {dup_dave.number}."


def test_the_merged_duplicate_shows_where_it_went_in_the_portal(login, original, dup_dave, dave, lin):
    merge_incidents(original=original, duplicates=[dup_dave], actor=lin)
    url = reverse("servicedesk:portal_ticket", args=[dup_dave.number])

    html = login(dave).get(url).content.decode()

    link = reverse("servicedesk:portal_ticket", args=[original.number])
    assert 'id="merged-into"' in html and f'href="{link}"' in html
    # dave now watches the original and may follow it there.
    assert login(dave).get(link).status_code == 200


def test_the_merged_note_without_access_to_the_original_shows_the_number_only(login, original, dup_dave, dave, lin):
    merge_incidents(original=original, duplicates=[dup_dave], actor=lin)
    original.watchers.remove(dave)

    html = login(dave).get(reverse("servicedesk:portal_ticket", args=[dup_dave.number])).content.decode()

    assert f"This incident was merged into {original.number}." in html
    assert reverse("servicedesk:portal_ticket", args=[original.number]) not in html


def test_the_desk_panel_of_a_merged_duplicate_links_the_original(login, original, dup_dave, lin):
    merge_incidents(original=original, duplicates=[dup_dave], actor=lin)

    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[dup_dave.number])).content.decode()

    assert 'id="merged-into"' in html
    assert reverse("servicedesk:desk_ticket", args=[original.number]) in html
    assert 'id="merge-form"' not in html


# -- refusals ----------------------------------------------------------------------------------------


def _everything(*tickets) -> list[dict]:
    return [ticket_state(t) for t in tickets] + [
        {"watchers": sorted(Ticket.objects.get(pk=t.pk).watchers.values_list("pk", flat=True))} for t in tickets
    ]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("none", "at least one"),
        ("itself", "cannot be merged into itself"),
        ("duplicate-resolved", "no longer open"),
        ("duplicate-merged", "already merged into"),
        ("original-closed", "no longer open"),
        ("major-with-children", "major incident with linked incidents"),
        ("not-an-incident", "not an incident"),
    ],
)
def test_merge_refusals_change_nothing(original, dup_bob, dup_dave, carol, lin, case, message):
    target, duplicates = original, [dup_bob, dup_dave]
    if case == "none":
        duplicates = []
    elif case == "itself":
        duplicates = [dup_bob, original]
    elif case == "duplicate-resolved":
        services.resolve_incident(incident=dup_dave, actor=lin, code="permanent", notes="Fixed")
    elif case == "duplicate-merged":
        merge_incidents(original=report(carol, title="Other"), duplicates=[dup_dave], actor=lin)
    elif case == "original-closed":
        target = services.cancel_incident(incident=original, actor=lin)
    elif case == "major-with-children":
        parent = major.promote_to_major(incident=dup_dave, actor=lin, reason="Outage")
        major.link_child(parent=parent, child=report(carol, title="Same"), actor=lin)
    elif case == "not-an-incident":
        duplicates = [dup_bob, Ticket(pk=10**6, kind="request", number="REQ0000001")]
    before = _everything(target, dup_bob, dup_dave)

    with pytest.raises(TicketError, match=message):
        merge_incidents(original=target, duplicates=duplicates, actor=lin)

    assert _everything(target, dup_bob, dup_dave) == before


def test_a_stale_version_is_changed_meanwhile_and_changes_nothing(original, dup_bob, dup_dave, lin):
    before = _everything(original, dup_bob, dup_dave)

    with pytest.raises(ChangedMeanwhile):
        merge_incidents(
            original=original,
            duplicates=[dup_bob, dup_dave],
            actor=lin,
            expected_versions={original.pk: original.version, dup_dave.pk: dup_dave.version - 1},
        )

    assert _everything(original, dup_bob, dup_dave) == before


def test_a_duplicate_out_of_the_engineers_scope_is_denied(original, dup_bob, dave, lin, mona, network_team):
    elsewhere = assign_ticket(ticket=report(dave, title="Wi-Fi"), actor=mona, group=network_team)
    before = _everything(original, dup_bob, elsewhere)

    with pytest.raises(PermissionDenied):
        merge_incidents(original=original, duplicates=[dup_bob, elsewhere], actor=lin)

    assert _everything(original, dup_bob, elsewhere) == before


def test_a_requester_may_not_merge(original, dup_bob, alice):
    before = _everything(original, dup_bob)

    with pytest.raises(PermissionDenied):
        merge_incidents(original=original, duplicates=[dup_bob], actor=alice)

    assert _everything(original, dup_bob) == before


# -- the desk view -----------------------------------------------------------------------------------


def test_the_merge_view(login, lin, original, dup_bob, dup_dave):
    numbers = f"{dup_bob.number.lower()}, {dup_dave.number} ,"

    response = login(lin).post(
        reverse("incidents:merge", args=[original.number]), {"numbers": numbers, "version": original.version}
    )

    assert response["Location"] == reverse("servicedesk:desk_ticket", args=[original.number])
    assert messages_of(response) == [f"Merged into {original.number}: {dup_bob.number}, {dup_dave.number}."]
    assert {fresh(dup_bob).merged_into_id, fresh(dup_dave).merged_into_id} == {original.pk}


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ("", "This field is required."),
        (" , ,", "Name at least one duplicate incident."),
        ("INC1, hello", "hello is not a ticket number"),
        (",".join(f"INC{n:07d}" for n in range(1, 23)), "at most 20"),
        ("SELF", "cannot be merged into itself"),
    ],
)
def test_bad_merge_input_gives_a_message_and_changes_nothing(login, lin, original, dup_bob, numbers, message):
    numbers = numbers.replace("SELF", original.number)
    before = _everything(original, dup_bob)

    response = login(lin).post(reverse("incidents:merge", args=[original.number]), {"numbers": numbers})

    assert response.status_code == 302
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert _everything(original, dup_bob) == before


def test_a_stale_merge_form_is_changed_meanwhile(login, lin, original, dup_bob):
    before = _everything(original, dup_bob)

    response = login(lin).post(
        reverse("incidents:merge", args=[original.number]),
        {"numbers": dup_bob.number, "version": original.version - 1},
    )

    assert "changed by someone else meanwhile" in messages_of(response)[0]
    assert _everything(original, dup_bob) == before
