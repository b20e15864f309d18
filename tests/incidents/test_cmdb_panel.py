"""The CMDB on incidents: the desk panel (impacted business services, other open incidents on related CIs)
and the incidents section of a CI page, both within what the viewer may open on the desk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmdb import services as cmdb
from cmdb.models import CIClass, RelationType
from incidents.services import resolve_incident, take_incident
from servicedesk import roles
from servicedesk.services import assign_ticket
from tests.factories import UserFactory, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def stack(db):
    """Email and Payroll (services) depend on mail-app, which runs on srv01 (and on srv02, unrelated to it)."""
    carl = UserFactory(username="carl", roles=[roles.CMDB_MANAGER])
    cls = {c.name: c for c in CIClass.objects.all()}
    rel = {t.name: t for t in RelationType.objects.all()}

    def ci(name, class_name):
        return cmdb.create_ci(actor=carl, ci_class=cls[class_name], name=name)

    cis = {
        "Email": ci("Email", "Business Service"),
        "Payroll": ci("Payroll", "Business Service"),
        "mail-app": ci("mail-app", "Application"),
        "srv01": ci("srv01", "Linux Server"),
        "srv99": ci("srv99", "Linux Server"),
    }
    for source, type_name, target in [
        ("Email", "depends on", "mail-app"),
        ("Payroll", "depends on", "Email"),
        ("mail-app", "runs on", "srv01"),
    ]:
        cmdb.add_relation(actor=carl, source=cis[source], target=cis[target], relation_type=rel[type_name])
    return cis


def panel(client, incident):
    html = client.get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()
    start = html.find('id="cmdb-ticket-panel"')
    assert start != -1
    return html[start : html.find("</div>\n</div>", start)]


def test_panel_shows_impacted_services_and_related_open_incidents(login, alice, lin, service_desk, stack):
    mine = report(lin, requester=alice, title="Server down", configuration_item=stack["srv01"])
    on_app = report(lin, requester=alice, title="Mail slow", configuration_item=stack["mail-app"])
    on_service = report(lin, requester=alice, title="No email", affected_service=stack["Email"])
    unrelated = report(lin, requester=alice, title="Other box", configuration_item=stack["srv99"])
    too_far = report(lin, requester=alice, title="Payroll late", affected_service=stack["Payroll"])
    closed = report(lin, requester=alice, title="Mail app crashed yesterday", configuration_item=stack["mail-app"])
    resolve_incident(incident=take_incident(incident=closed, actor=lin), actor=lin, code="permanent", notes="ok")

    html = panel(login(lin), mine)
    assert reverse("cmdb:ci_detail", args=[stack["srv01"].pk]) in html
    assert "Email" in html and "Payroll" in html
    assert on_app.number in html  # depth 1
    assert on_service.number in html  # Email is at depth 2 from srv01
    assert too_far.number not in html  # Payroll is at depth 3
    assert unrelated.number not in html
    assert closed.number not in html
    assert mine.number not in html


def test_related_incidents_reach_depth_two(login, alice, lin, service_desk, stack):
    mine = report(lin, requester=alice, title="Mail slow", configuration_item=stack["mail-app"])
    on_service = report(lin, requester=alice, title="No email", affected_service=stack["Email"])
    on_payroll = report(lin, requester=alice, title="Payroll late", configuration_item=stack["Payroll"])
    html = panel(login(lin), mine)
    assert on_service.number in html and on_payroll.number in html


def test_panel_without_ci(login, alice, lin, service_desk):
    incident = report(alice, title="Nothing known")
    assert "No configuration item recorded." in panel(login(lin), incident)


def test_panel_queries_do_not_grow(login, alice, lin, service_desk, stack):
    mine = report(lin, requester=alice, title="Server down", configuration_item=stack["srv01"])
    client = login(lin)
    url = reverse("servicedesk:desk_ticket", args=[mine.number])
    client.get(url)  # warm caches (kinds, session)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    report(lin, requester=alice, title="Mail slow", configuration_item=stack["mail-app"])
    few = count()
    for i in range(10):
        report(lin, requester=alice, title=f"Mail slow {i}", affected_service=stack["Email"])
    assert count() == few


def test_ci_page_lists_open_and_recent_incidents(login, alice, lin, service_desk, stack):
    open_one = report(lin, requester=alice, title="Mail slow", configuration_item=stack["mail-app"])
    closed = report(lin, requester=alice, title="Mail down", configuration_item=stack["mail-app"])
    resolve_incident(incident=take_incident(incident=closed, actor=lin), actor=lin, code="permanent", notes="ok")
    html = login(lin).get(reverse("cmdb:ci_detail", args=[stack["mail-app"].pk])).content.decode()
    opened = html[html.find('id="ci-open-incidents"') : html.find('id="ci-recent-incidents"')]
    recent = html[html.find('id="ci-recent-incidents"') :]
    assert open_one.number in opened and closed.number not in opened
    assert closed.number in recent


def ci_page(client, ci) -> str:
    html = client.get(reverse("cmdb:ci_detail", args=[ci.pk])).content.decode()
    start = html.find('id="ci-incidents"')
    assert start != -1
    return html[start : html.find("</div>\n</div>", start)]


def test_incidents_of_another_group_are_left_out_for_an_engineer(
    login, alice, lin, lee, mona, service_desk, network_team, stack
):
    # Reported by the desk: routed to the Service Desk (lin's group); two more moved to Network Operations (lee's).
    ours = report(lin, requester=alice, title="Server down", configuration_item=stack["srv01"])
    theirs = report(lin, requester=alice, title="Mail queue stuck", configuration_item=stack["mail-app"])
    theirs = assign_ticket(ticket=theirs, actor=lin, group=network_team)
    ended = report(lin, requester=alice, title="Mail certificate expired", configuration_item=stack["mail-app"])
    ended = assign_ticket(ticket=ended, actor=lin, group=network_team)
    resolve_incident(incident=take_incident(incident=ended, actor=lee), actor=lee, code="permanent", notes="ok")
    lin_client, lee_client, mona_client = login(lin), login(lee), login(mona)
    assert lin_client.get(reverse("servicedesk:desk_ticket", args=[theirs.number])).status_code == 404

    hidden = (theirs.number, theirs.title, ended.number, ended.title)
    assert not any(text in panel(lin_client, ours) for text in hidden)
    assert not any(text in ci_page(lin_client, stack["mail-app"]) for text in hidden)
    # lee works for Network Operations: his group's incidents show, the Service Desk's do not.
    assert ours.number not in panel(lee_client, theirs)
    lee_page = ci_page(lee_client, stack["mail-app"])
    assert theirs.number in lee_page and ended.number in lee_page
    # A Service Desk Manager sees every ticket, whatever its group.
    assert theirs.number in panel(mona_client, ours) and ours.number in panel(mona_client, theirs)
    mona_page = ci_page(mona_client, stack["mail-app"])
    assert theirs.number in mona_page and ended.number in mona_page
