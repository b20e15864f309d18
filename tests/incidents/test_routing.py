"""Routing of new incidents: rules pick the group (first match by order, default as fallback), then the engineer
(skill, fewest open incidents, round-robin on ties); the reason is stored; concurrent reports stay fair."""

from collections import Counter

import pytest
from django.urls import reverse

from cmdb.models import CIType, ConfigurationItem
from incidents import routing
from incidents.choices import IncidentState
from incidents.models import AssignmentRule, Category, Incident, RoutingLedger
from incidents.services import resolve_incident
from servicedesk import roles
from servicedesk.choices import EventKind
from servicedesk.models import Skill, TicketEvent
from servicedesk.services import assign_ticket
from tests.factories import AssignmentGroupFactory, UserFactory, in_threads, report


def engineer(username, first_name="", last_name="", skills=()):
    user = UserFactory(username=username, first_name=first_name, last_name=last_name, roles=[roles.AGENT_L2])
    for skill in skills:
        skill.agents.add(user)
    return user


@pytest.fixture
def networking(db):
    return Skill.objects.create(name="Networking")


@pytest.fixture
def vpn_skill(db):
    return Skill.objects.create(name="VPN")


@pytest.fixture
def network(networking):
    category = Category.objects.create(name="Network")
    category.skills.add(networking)
    return category


@pytest.fixture
def vpn(network, vpn_skill):
    subcategory = Category.objects.create(name="VPN", parent=network)
    subcategory.skills.add(vpn_skill)
    return subcategory


@pytest.fixture
def wifi(network):
    return Category.objects.create(name="Wi-Fi", parent=network)


@pytest.fixture
def email_service(db):
    return ConfigurationItem.objects.create(name="Email", ci_type=CIType.BUSINESS_SERVICE)


@pytest.fixture
def trio(db):
    """Three engineers without skills, named so that username order is ann, ben, cai."""
    return [engineer("ann", "Ann", "Arden"), engineer("ben", "Ben", "Brook"), engineer("cai", "Cai", "Chen")]


@pytest.fixture
def netops(trio):
    return AssignmentGroupFactory(name="Network Operations", members=trio)


def give(requester, group, user, count=1):
    """`count` open incidents assigned to `user` in `group` (assigned by a desk manager, who sees every ticket)."""
    manager = UserFactory(username="desk-manager", roles=[roles.SERVICE_DESK_MANAGER])
    for _ in range(count):
        assign_ticket(ticket=report(requester), actor=manager, group=group, assignee=user)


def rule(group, name="Rule", order=100, **conditions):
    return AssignmentRule.objects.create(name=name, order=order, group=group, **conditions)


# -- the group: each condition kind ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["category", "subcategory", "service", "channel", "keywords"])
def test_each_condition_kind_matches_its_value_and_only_it(
    alice, service_desk, netops, network, vpn, wifi, email_service, kind
):
    erp = ConfigurationItem.objects.create(name="ERP", ci_type=CIType.BUSINESS_SERVICE)
    # kind -> (the rule's one condition, an incident it matches, an incident it does not)
    condition, matching, other = {
        "category": ({"category": network}, {"category": network}, {}),
        "subcategory": (
            {"subcategory": vpn},
            {"category": network, "subcategory": vpn},
            {"category": network, "subcategory": wifi},
        ),
        "service": ({"service": email_service}, {"affected_service": email_service}, {"affected_service": erp}),
        "channel": ({"channel": "email"}, {"channel": "email"}, {"channel": "phone"}),
        "keywords": (
            {"keywords": "vpn, tunnel"},
            {"description": "The TUNNEL drops every hour"},
            {"description": "The printer jams"},
        ),
    }[kind]
    rule(netops, name=f"by {kind}", **condition)

    assert report(alice, **matching).assignment_group == netops
    assert report(alice, **other).assignment_group == service_desk


def test_empty_conditions_match_anything(alice, service_desk, netops):
    rule(netops, name="Catch-all")

    incident = report(alice, title="Anything at all")

    assert incident.assignment_group == netops
    assert incident.routing_reason.startswith(
        "Rule 'Catch-all' (order 100) matches every incident → Network Operations;"
    )


def test_all_set_conditions_must_match(alice, service_desk, netops, network):
    rule(netops, category=network, keywords="vpn", channel="portal")

    assert report(alice, title="VPN down").assignment_group == service_desk  # no category
    assert report(alice, title="Slow", category=network).assignment_group == service_desk  # no keyword
    assert report(alice, title="VPN down", category=network, channel="phone").assignment_group == service_desk
    assert report(alice, title="VPN down", category=network).assignment_group == netops


@pytest.mark.parametrize(
    ("keywords", "title", "matches"),
    [
        ("vpn", "Cannot reach the Vpn", True),
        ("  vpn ,, tunnel  ", "tunnel broken", True),
        ("vpn", "VPNs everywhere", True),  # a substring, as the rule's help text says
        ("vpn,tunnel", "printer", False),
        (" , ", "anything", True),  # no real keyword: no keyword condition
    ],
)
def test_keywords(alice, service_desk, netops, keywords, title, matches):
    rule(netops, keywords=keywords)

    assert (report(alice, title=title).assignment_group == netops) is matches


def test_the_first_matching_rule_by_order_wins(alice, service_desk, netops, network):
    second_line = AssignmentGroupFactory(name="Second Line")
    rule(second_line, name="Late but first created", order=50, keywords="vpn")
    rule(netops, name="Early", order=10, keywords="vpn")
    rule(second_line, name="Earliest, not matching", order=1, keywords="printer")

    incident = report(alice, title="VPN down")

    assert incident.assignment_group == netops
    assert incident.routing_reason.startswith("Rule 'Early' (order 10) matched keyword 'vpn' → Network Operations;")


def test_inactive_rules_and_rules_of_inactive_groups_are_skipped(alice, service_desk, netops):
    retired = AssignmentGroupFactory(name="Retired Team", is_active=False)
    AssignmentRule.objects.create(name="Off", order=1, group=netops, keywords="vpn", is_active=False)
    rule(retired, name="Dead group", order=2, keywords="vpn")

    assert report(alice, title="VPN down").assignment_group == service_desk


def test_no_matching_rule_falls_back_to_the_default_group_where_the_queue_takes_it(alice, service_desk, netops):
    rule(netops, keywords="vpn")

    incident = report(alice, title="Printer jams")

    assert (incident.assignment_group, incident.assignee, incident.state) == (service_desk, None, IncidentState.NEW)
    assert incident.routing_reason == (
        "No assignment rule matched → default group Service Desk, where an engineer takes it from the queue."
    )


def test_the_default_group_can_also_pick_an_engineer(monkeypatch, alice, service_desk, lin):
    monkeypatch.setattr(routing, "ASSIGN_ENGINEER_IN_DEFAULT_GROUP", True)

    incident = report(alice, title="Printer jams")

    assert (incident.assignment_group, incident.assignee, incident.state) == (service_desk, lin, "assigned")
    assert incident.routing_reason.startswith("No assignment rule matched → default group Service Desk; ")


def test_a_rule_naming_the_default_group_picks_an_engineer_there(alice, service_desk, lin):
    rule(service_desk, keywords="password")

    incident = report(alice, title="Password expired")

    assert (incident.assignment_group, incident.assignee) == (service_desk, lin)


def test_without_a_default_group_nothing_is_chosen(alice):
    incident = report(alice, title="Printer jams")

    assert (incident.assignment_group, incident.assignee, incident.state) == (None, None, IncidentState.NEW)
    assert incident.routing_reason == "No assignment rule matched and there is no default group."


def test_a_group_chosen_before_routing_is_kept(alice, service_desk, netops, trio):
    rule(service_desk, keywords="vpn")
    incident = Incident(kind="incident", title="VPN", requester=alice, opened_by=alice, assignment_group=netops)

    routing.route_new_incident(incident)

    assert (incident.assignment_group, incident.assignee, incident.state) == (netops, trio[0], "assigned")
    assert incident.routing_reason.startswith("Group Network Operations was chosen when the incident was recorded; ")


# -- the engineer ------------------------------------------------------------------------------------


def test_a_group_without_members_gets_the_incident_without_an_engineer(alice, service_desk):
    empty = AssignmentGroupFactory(name="Vendors")
    rule(empty, keywords="sap")

    incident = report(alice, title="SAP error")

    assert (incident.assignment_group, incident.assignee, incident.state) == (empty, None, IncidentState.NEW)
    assert incident.routing_reason.endswith("; the group has no active members, so nobody was assigned.")
    assert not RoutingLedger.objects.exists()


def test_inactive_members_are_not_picked(alice, service_desk, netops, trio):
    trio[0].is_active = False
    trio[0].save()
    rule(netops)

    assert report(alice).assignee == trio[1]


def test_an_engineer_with_the_subcategorys_skill_is_preferred(alice, service_desk, netops, trio, vpn, vpn_skill):
    cai = trio[2]
    vpn_skill.agents.add(cai)
    give(alice, netops, cai, 3)  # cai is the busiest of the three, and still gets it
    rule(netops, subcategory=vpn)

    incident = report(alice, category=vpn.parent, subcategory=vpn)

    assert incident.assignee == cai
    assert incident.routing_reason.endswith("Cai Chen has the skill VPN and the fewest open incidents (3).")


def test_the_categorys_skills_count_when_the_subcategory_asks_for_none(
    alice, service_desk, netops, trio, network, networking, wifi
):
    networking.agents.add(trio[1])
    rule(netops, category=network)

    assert report(alice, category=network, subcategory=wifi).assignee == trio[1]
    assert report(alice, category=network).assignee == trio[1]


def test_the_categorys_skills_count_when_nobody_has_the_subcategorys(
    alice, service_desk, netops, trio, network, networking, vpn
):
    networking.agents.add(trio[2])
    rule(netops, category=network)

    assert report(alice, category=network, subcategory=vpn).assignee == trio[2]


def test_when_nobody_has_the_skill_every_member_is_a_candidate(alice, service_desk, netops, trio, network, vpn):
    rule(netops, category=network)

    incident = report(alice, category=network, subcategory=vpn)

    assert incident.assignee == trio[0]
    assert "nobody in the group has the skill the incident asks for (VPN); Ann Arden has the fewest" in (
        incident.routing_reason
    )


def test_the_engineer_with_the_fewest_open_incidents_gets_it(alice, lin, service_desk, netops, trio):
    ann, ben, cai = trio
    for user, count in ((ann, 2), (ben, 1), (cai, 3)):
        give(alice, netops, user, count)
    # Work that is no longer open does not count: ann's two resolved incidents leave her with none.
    for incident in Incident.objects.filter(assignee=ann):
        resolve_incident(incident=incident, actor=ann, code="permanent", notes="Fixed")
    rule(netops, keywords="vpn")

    incident = report(alice, title="VPN down")

    assert incident.assignee == ann
    assert incident.routing_reason.endswith("Ann Arden has the fewest open incidents (0).")


def test_open_incidents_in_other_groups_count_too(alice, lin, service_desk, netops, trio):
    other = AssignmentGroupFactory(name="Other", members=[trio[0]])
    give(alice, other, trio[0])
    rule(netops)

    assert report(alice).assignee == trio[1]


def test_three_engineers_six_incidents_two_each_in_rotation(alice, service_desk, netops, trio):
    rule(netops, keywords="vpn")

    picked = [report(alice, title=f"VPN {n}").assignee for n in range(6)]

    assert [user.username for user in picked] == ["ann", "ben", "cai", "ann", "ben", "cai"]
    assert set(RoutingLedger.objects.filter(group=netops).values_list("user__username", flat=True)) == {
        "ann",
        "ben",
        "cai",
    }


def test_ties_go_round_robin_by_the_ledger_not_by_name(alice, service_desk, netops, trio):
    """Every incident is resolved at once, so loads stay equal (0) and only the ledger decides."""
    rule(netops, keywords="vpn")

    picked = []
    for n in range(7):
        incident = report(alice, title=f"VPN {n}")
        picked.append(incident.assignee.username)
        resolve_incident(incident=incident, actor=incident.assignee, code="permanent", notes="Fixed")

    assert picked == ["ann", "ben", "cai", "ann", "ben", "cai", "ann"]


def test_the_ledger_is_per_group(alice, service_desk, netops, trio):
    """ann served last in another group: here she is still "never served" and comes first."""
    other = AssignmentGroupFactory(name="Other", members=trio)
    rule(other, order=1, keywords="printer")
    rule(netops, order=2, keywords="vpn")

    first = report(alice, title="printer")
    resolve_incident(incident=first, actor=first.assignee, code="permanent", notes="Fixed")
    second = report(alice, title="vpn")

    assert (first.assignee.username, second.assignee.username) == ("ann", "ann")


def test_a_member_served_longest_ago_wins_a_tie(alice, service_desk, netops, trio):
    from django.utils import timezone

    ann, ben, cai = trio
    now = timezone.now()
    for user, minutes in ((ann, 5), (ben, 50), (cai, 30)):
        RoutingLedger.objects.create(
            group=netops, user=user, last_assigned_at=now - timezone.timedelta(minutes=minutes)
        )
    rule(netops)

    incident = report(alice)

    assert incident.assignee == ben
    assert incident.routing_reason.endswith(
        "Ben Brook has the fewest open incidents (0), next in turn among 3 engineers with as few."
    )
    assert RoutingLedger.objects.get(group=netops, user=ben).last_assigned_at > now


# -- the reason and the initial state ----------------------------------------------------------------


def test_the_reason_names_rule_condition_group_skill_and_load(alice, lin, service_desk, networking):
    lee = engineer("lzhang", "Lee", "Zhang", skills=[networking])
    other = engineer("omar", "Omar", "Ortiz")
    team = AssignmentGroupFactory(name="Network Operations", members=[lee, other])
    give(alice, team, lee, 2)
    network = Category.objects.create(name="Network")
    network.skills.add(networking)
    rule(team, name="VPN issues", order=10, keywords="vpn")

    incident = report(alice, title="My VPN keeps dropping", category=network)

    assert incident.routing_reason == (
        "Rule 'VPN issues' (order 10) matched keyword 'vpn' → Network Operations; "
        "Lee Zhang has the skill Networking and the fewest open incidents (2)."
    )


def test_the_reason_lists_every_matched_condition(alice, service_desk, netops, network, vpn, email_service):
    rule(netops, name="All", order=5, category=network, subcategory=vpn, service=email_service, channel="email")

    incident = report(alice, category=network, subcategory=vpn, affected_service=email_service, channel="email")

    assert incident.routing_reason.startswith(
        "Rule 'All' (order 5) matched category Network, subcategory VPN, service Email, channel Email"
        " → Network Operations; "
    )


def test_the_reason_is_stored_in_the_sites_language_whoever_reports(alice, service_desk, netops):
    from django.utils import translation

    rule(netops, name="VPN issues", keywords="vpn")
    with translation.override("zh-hans"):
        incident = report(alice, title="VPN down")

    assert incident.routing_reason.startswith(
        "Rule 'VPN issues' (order 100) matched keyword 'vpn' → Network Operations;"
    )


def test_a_routed_incident_starts_assigned_through_the_state_machine(alice, service_desk, netops, trio):
    rule(netops, keywords="vpn")

    incident = report(alice, title="VPN down")

    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.state, fresh.assignee, fresh.is_open, fresh.version) == ("assigned", trio[0], True, 1)
    assert list(TicketEvent.objects.filter(ticket=fresh).values_list("kind", flat=True)) == [EventKind.CREATED]


def test_the_routing_reason_is_shown_on_the_desk_page(login, alice, service_desk, netops, trio):
    rule(netops, name="VPN issues", keywords="vpn")
    incident = report(alice, title="VPN down")

    page = login(trio[0]).get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()

    assert 'id="routing-reason"' in page
    assert "Rule &#x27;VPN issues&#x27; (order 100) matched keyword &#x27;vpn&#x27;" in page


def test_the_routing_reason_is_not_shown_in_the_portal(login, alice, service_desk, netops, trio):
    rule(netops, name="VPN issues", keywords="vpn")
    incident = report(alice, title="VPN down")

    page = login(alice).get(reverse("servicedesk:portal_ticket", args=[incident.number])).content.decode()

    assert "VPN issues" not in page


# -- concurrency -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_simultaneous_reports_keep_round_robin_fair(sent_tasks):
    """Six reports at the same instant: the group lock makes each router see the previous one's pick."""
    alice = UserFactory(username="alice", roles=[roles.REQUESTER])
    trio = [engineer("ann"), engineer("ben"), engineer("cai")]
    team = AssignmentGroupFactory(name="Network Operations", members=trio)
    AssignmentGroupFactory(name="Service Desk", is_default=True)
    rule(team, keywords="vpn")

    for round_ in range(3):
        results = in_threads(*(lambda n=n, r=round_: report(alice, title=f"VPN {r}.{n}") for n in range(6)))

        assert all(isinstance(result, Incident) for result in results), results
        load = Counter(
            Incident.objects.filter(is_open=True, assignment_group=team).values_list("assignee__username", flat=True)
        )
        assert load == {"ann": 2 * (round_ + 1), "ben": 2 * (round_ + 1), "cai": 2 * (round_ + 1)}
    assert RoutingLedger.objects.filter(group=team).count() == 3


# -- admin -------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(db, login):
    """A superuser's client, with the routing screens in the admin's URLs.

    incidents/admin.py imports admin_routing; should the URLs have been built without it, build them again.
    """
    import importlib
    import sys

    from django.conf import settings
    from django.contrib import admin
    from django.urls import clear_url_caches

    if not admin.site.is_registered(AssignmentRule):
        importlib.import_module("incidents.admin_routing")
        importlib.reload(sys.modules[settings.ROOT_URLCONF])
        clear_url_caches()
    return login(UserFactory(username="root", is_staff=True, is_superuser=True))


@pytest.mark.parametrize("model", ["incidents/assignmentrule", "incidents/category", "servicedesk/skill"])
def test_the_routing_admin_screens_render(admin_client_, netops, network, vpn, networking, model):
    rule(netops, name="VPN issues", category=network, subcategory=vpn)
    app, name = model.split("/")

    assert admin_client_.get(reverse(f"admin:{app}_{name}_changelist")).status_code == 200
    assert admin_client_.get(reverse(f"admin:{app}_{name}_add")).status_code == 200


def test_rule_order_is_editable_in_the_list(admin_client_, netops):
    first, second = rule(netops, name="A", order=10), rule(netops, name="B", order=20)

    response = admin_client_.post(
        reverse("admin:incidents_assignmentrule_changelist"),
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-0-id": str(first.pk),
            "form-0-order": "30",
            "form-0-is_active": "on",
            "form-1-id": str(second.pk),
            "form-1-order": "20",
            "form-1-is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["B", "A"]


def test_a_rule_with_a_subcategory_of_another_category_is_refused(admin_client_, netops, network, vpn):
    hardware = Category.objects.create(name="Hardware")

    response = admin_client_.post(
        reverse("admin:incidents_assignmentrule_add"),
        {
            "name": "Bad",
            "order": "1",
            "is_active": "on",
            "group": netops.pk,
            "category": hardware.pk,
            "subcategory": vpn.pk,
        },
    )

    assert response.status_code == 200
    assert "is not a subcategory of the chosen category" in response.content.decode()
    assert not AssignmentRule.objects.exists()


def test_a_category_gets_its_subcategories_inline(admin_client_, networking):
    response = admin_client_.post(
        reverse("admin:incidents_category_add"),
        {
            "name": "Network",
            "skills": [networking.pk],
            "is_active": "on",
            "subcategories-TOTAL_FORMS": "1",
            "subcategories-INITIAL_FORMS": "0",
            "subcategories-0-name": "VPN",
            "subcategories-0-is_active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    network = Category.objects.get(name="Network", parent=None)
    assert list(network.subcategories.values_list("name", flat=True)) == ["VPN"]
    assert list(network.skills.all()) == [networking]
