"""Who sees and does what: rules predicates, queryset scopes, and a matrix over every portal and desk URL.

Roles: alice and bob are end users (alice reported the incident), lin is an L1 engineer in the Service
Desk group, lee an L2 engineer only in Network Operations, mona the service desk manager (in no group).
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from servicedesk import rules as sd_rules
from servicedesk.models import Ticket
from servicedesk.services import assign_ticket
from tests.factories import UserFactory, report, ticket_state

# -- predicates and permissions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "agent", "sees_all"),
    [("alice", False, False), ("lin", True, False), ("lee", True, False), ("mona", True, True)],
)
def test_role_predicates(request, who, agent, sees_all):
    user = request.getfixturevalue(who)

    assert sd_rules.is_agent(user) is agent
    assert sd_rules.sees_all_tickets(user) is sees_all
    assert user.has_perm("servicedesk.access_desk") is agent


def test_anonymous_holds_no_permission(incident):
    anonymous = AnonymousUser()

    assert not sd_rules.is_agent(anonymous)
    assert not anonymous.has_perm("servicedesk.access_desk")
    assert not anonymous.has_perm("servicedesk.view_ticket_in_portal", incident)


def test_a_superuser_works_in_the_desk(incident):
    admin = UserFactory(username="root", is_superuser=True)

    assert sd_rules.is_agent(admin) and sd_rules.sees_all_tickets(admin)


def test_a_user_without_a_role_is_no_agent(db):
    assert not sd_rules.is_agent(UserFactory(username="nobody"))


@pytest.mark.parametrize(
    ("who", "in_portal", "in_desk"),
    [
        ("alice", True, False),  # the requester: her ticket in the portal, no desk
        ("bob", False, False),  # another end user: nothing
        ("lin", False, True),  # in the ticket's group
        ("lee", False, False),  # an engineer of another group
        ("mona", False, True),  # the manager sees every ticket
    ],
)
def test_ticket_permissions(request, incident, network_team, who, in_portal, in_desk):
    user = request.getfixturevalue(who)

    assert user.has_perm("servicedesk.view_ticket_in_portal", incident) is in_portal
    assert user.has_perm("servicedesk.reply_in_portal", incident) is in_portal
    assert user.has_perm("servicedesk.view_ticket_in_desk", incident) is in_desk
    assert user.has_perm("servicedesk.work_on_ticket", incident) is in_desk


def test_a_watcher_sees_and_replies_in_the_portal(incident, bob):
    incident.watchers.add(bob)

    assert bob.has_perm("servicedesk.reply_in_portal", incident)


def test_works_on_ticket_covers_my_tickets_my_groups_and_unrouted(incident, lee, network_team):
    unrouted = report(lee, title="Found in the logs")
    Ticket.objects.filter(pk=unrouted.pk).update(assignment_group=None)
    unrouted.refresh_from_db()

    assert not sd_rules.works_on_ticket(lee, incident)
    assert sd_rules.works_on_ticket(lee, unrouted)
    Ticket.objects.filter(pk=incident.pk).update(assignee=lee)
    incident.refresh_from_db()
    assert sd_rules.works_on_ticket(lee, incident)


# -- queryset scopes ---------------------------------------------------------------------------------


@pytest.fixture
def two_tickets(incident, bob, lin, network_team, mona):
    """alice's incident in the Service Desk group, bob's in Network Operations."""
    bobs = report(bob, title="VPN drops")
    assign_ticket(ticket=bobs, actor=mona, group=network_team)
    return incident, bobs


@pytest.mark.parametrize(
    ("who", "portal", "desk"),
    [
        ("alice", ["alice"], []),
        ("bob", ["bob"], []),
        ("lin", [], ["alice"]),
        ("lee", [], ["bob"]),
        ("mona", [], ["alice", "bob"]),
    ],
)
def test_scopes(request, two_tickets, who, portal, desk):
    user = request.getfixturevalue(who)

    assert sorted(t.requester.username for t in Ticket.objects.for_portal(user)) == portal
    assert sorted(t.requester.username for t in Ticket.objects.for_desk(user)) == desk


def test_the_portal_scope_includes_watched_tickets(two_tickets, alice):
    two_tickets[1].watchers.add(alice)

    assert Ticket.objects.for_portal(alice).count() == 2


def test_scopes_are_empty_for_anonymous(two_tickets):
    assert not Ticket.objects.for_portal(AnonymousUser()).exists()
    assert not Ticket.objects.for_desk(AnonymousUser()).exists()


# -- the view matrix ---------------------------------------------------------------------------------

# name -> (method, url name, what the URL takes, POST data)
PORTAL_PAGES = {
    "portal_home": ("get", "servicedesk:portal_home", None, None),
    "portal_tickets": ("get", "servicedesk:portal_tickets", None, None),
    "home": ("get", "home", None, None),
}
PORTAL_TICKET_URLS = {
    "portal_ticket": ("get", "servicedesk:portal_ticket", "number", None),
    "portal_reply": ("post", "servicedesk:portal_reply", "number", {"body": "Me too"}),
    "portal_attachment": ("get", "servicedesk:portal_attachment", "public_attachment", None),
}
DESK_PAGES = {
    "desk_queue": ("get", "servicedesk:desk_queue", None, None),
    "desk_queue_named": ("get", "servicedesk:desk_queue_named", "queue", None),
    "desk_group_members": ("get", "servicedesk:desk_group_members", None, None),
}
DESK_TICKET_URLS = {
    "desk_ticket": ("get", "servicedesk:desk_ticket", "number", None),
    "desk_comment": ("post", "servicedesk:desk_comment", "number", {"body": "Note", "internal": "on"}),
    "desk_assign": ("post", "servicedesk:desk_assign", "number", {"group": "network"}),
    "desk_take": ("post", "servicedesk:desk_take", "number", {}),
    "desk_watch": ("post", "servicedesk:desk_watch", "number", {"watch": "1"}),
    "desk_attachment": ("get", "servicedesk:desk_attachment", "internal_attachment", None),
}


def call(client, spec, conversation, network_team=None):
    """Request one URL of the matrix for the conversation's ticket."""
    method, name, takes, data = spec
    args = {
        None: [],
        "number": [conversation.ticket.number],
        "queue": ["all"],
        "public_attachment": [conversation.public_attachment.pk],
        "internal_attachment": [conversation.internal_attachment.pk],
    }[takes]
    if data and data.get("group") == "network":
        data = {**data, "group": network_team.pk}
    return getattr(client, method)(reverse(name, args=args), data or {})


PORTAL_URLS = {**PORTAL_PAGES, **PORTAL_TICKET_URLS}
DESK_URLS = {**DESK_PAGES, **DESK_TICKET_URLS}
ALL_URLS = {**PORTAL_URLS, **DESK_URLS}


@pytest.mark.parametrize("name", ALL_URLS)
def test_anonymous_is_sent_to_login_and_nothing_changes(conversation, network_team, name):
    before = ticket_state(conversation.ticket)

    response = call(Client(), ALL_URLS[name], conversation, network_team)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert ticket_state(conversation.ticket) == before


@pytest.mark.parametrize("name", PORTAL_TICKET_URLS)
def test_another_end_users_ticket_is_404_and_nothing_changes(login, conversation, bob, name):
    before = ticket_state(conversation.ticket)

    response = call(login(bob), PORTAL_TICKET_URLS[name], conversation)

    assert response.status_code == 404
    assert ticket_state(conversation.ticket) == before


@pytest.mark.parametrize("name", PORTAL_TICKET_URLS)
def test_an_engineer_is_not_the_requester_in_the_portal(login, conversation, lin, name):
    """The portal shows people their own tickets; engineers work on others' tickets in the desk."""
    before = ticket_state(conversation.ticket)

    assert call(login(lin), PORTAL_TICKET_URLS[name], conversation).status_code == 404
    assert ticket_state(conversation.ticket) == before


@pytest.mark.parametrize("name", DESK_URLS)
@pytest.mark.parametrize("who", ["alice", "bob"])
def test_an_end_user_gets_403_on_every_desk_url(request, login, conversation, network_team, who, name):
    before = ticket_state(conversation.ticket)

    response = call(login(request.getfixturevalue(who)), DESK_URLS[name], conversation, network_team)

    assert response.status_code == 403
    assert ticket_state(conversation.ticket) == before


@pytest.mark.parametrize("name", DESK_TICKET_URLS)
def test_an_engineer_of_another_group_gets_404_and_nothing_changes(login, conversation, lee, network_team, name):
    before = ticket_state(conversation.ticket)

    response = call(login(lee), DESK_TICKET_URLS[name], conversation, network_team)

    assert response.status_code == 404
    assert ticket_state(conversation.ticket) == before


def test_an_engineer_of_another_group_does_not_see_the_ticket_in_any_queue(login, conversation, lee):
    client = login(lee)

    for queue in ("mine", "unassigned", "open", "all"):
        response = client.get(reverse("servicedesk:desk_queue_named", args=[queue]))
        assert response.status_code == 200
        assert conversation.ticket.number not in response.content.decode()


@pytest.mark.parametrize("name", PORTAL_URLS)
def test_the_requester_reaches_every_portal_url(login, conversation, alice, name):
    response = call(login(alice), PORTAL_URLS[name], conversation)

    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert reverse("login") not in response["Location"]


@pytest.mark.parametrize("who", ["lin", "mona"])
@pytest.mark.parametrize("name", DESK_URLS)
def test_engineers_in_scope_reach_every_desk_url(request, login, conversation, network_team, who, name):
    response = call(login(request.getfixturevalue(who)), DESK_URLS[name], conversation, network_team)

    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response["Location"] == reverse("servicedesk:desk_ticket", args=[conversation.ticket.number])


def test_the_manager_sees_every_ticket(login, conversation, mona, bob, network_team):
    bobs = report(bob, title="VPN drops")
    assign_ticket(ticket=bobs, actor=mona, group=network_team)
    client = login(mona)

    listed = client.get(reverse("servicedesk:desk_queue_named", args=["all"])).content.decode()

    assert conversation.ticket.number in listed and bobs.number in listed
    for ticket in (conversation.ticket, bobs):
        assert client.get(reverse("servicedesk:desk_ticket", args=[ticket.number])).status_code == 200


# -- what the requester's pages never show -----------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_the_portal_page_never_shows_work_notes_or_internal_files(request, login, conversation, bob, who):
    conversation.ticket.watchers.add(bob)  # bob watches, so he may see the ticket at all

    html = (
        login(request.getfixturevalue(who))
        .get(reverse("servicedesk:portal_ticket", args=[conversation.ticket.number]))
        .content.decode()
    )

    assert "Please forget the network" in html and "wifi-error.png" in html
    assert "INTERNAL-NOTE" not in html
    assert "ap3-internal.log" not in html
    assert reverse("servicedesk:portal_attachment", args=[conversation.internal_attachment.pk]) not in html


def test_an_internal_file_is_404_in_the_portal(login, conversation, alice):
    url = reverse("servicedesk:portal_attachment", args=[conversation.internal_attachment.pk])

    assert login(alice).get(url).status_code == 404


def test_the_desk_page_shows_work_notes_and_internal_files(login, conversation, lin):
    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[conversation.ticket.number])).content.decode()

    assert "INTERNAL-NOTE" in html and "ap3-internal.log" in html
