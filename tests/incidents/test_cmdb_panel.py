"""The CMDB on incidents: the desk panel (impacted business services, other open incidents on related CIs)
and the incidents section of a CI page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmdb import services as cmdb
from cmdb.models import CIClass, RelationType
from incidents.services import resolve_incident, take_incident
from servicedesk import roles
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
    mine = report(alice, title="Server down", configuration_item=stack["srv01"])
    on_app = report(alice, title="Mail slow", configuration_item=stack["mail-app"])
    on_service = report(alice, title="No email", affected_service=stack["Email"])
    unrelated = report(alice, title="Other box", configuration_item=stack["srv99"])
    too_far = report(alice, title="Payroll late", affected_service=stack["Payroll"])
    closed = report(alice, title="Mail app crashed yesterday", configuration_item=stack["mail-app"])
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
    mine = report(alice, title="Mail slow", configuration_item=stack["mail-app"])
    on_service = report(alice, title="No email", affected_service=stack["Email"])
    on_payroll = report(alice, title="Payroll late", configuration_item=stack["Payroll"])
    html = panel(login(lin), mine)
    assert on_service.number in html and on_payroll.number in html


def test_panel_without_ci(login, alice, lin, service_desk):
    incident = report(alice, title="Nothing known")
    assert "No configuration item recorded." in panel(login(lin), incident)


def test_panel_queries_do_not_grow(login, alice, lin, service_desk, stack):
    mine = report(alice, title="Server down", configuration_item=stack["srv01"])
    client = login(lin)
    url = reverse("servicedesk:desk_ticket", args=[mine.number])
    client.get(url)  # warm caches (kinds, session)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    report(alice, title="Mail slow", configuration_item=stack["mail-app"])
    few = count()
    for i in range(10):
        report(alice, title=f"Mail slow {i}", affected_service=stack["Email"])
    assert count() == few


def test_ci_page_lists_open_and_recent_incidents(login, alice, lin, service_desk, stack):
    open_one = report(alice, title="Mail slow", configuration_item=stack["mail-app"])
    closed = report(alice, title="Mail down", configuration_item=stack["mail-app"])
    resolve_incident(incident=take_incident(incident=closed, actor=lin), actor=lin, code="permanent", notes="ok")
    html = login(lin).get(reverse("cmdb:ci_detail", args=[stack["mail-app"].pk])).content.decode()
    opened = html[html.find('id="ci-open-incidents"') : html.find('id="ci-recent-incidents"')]
    recent = html[html.find('id="ci-recent-incidents"') :]
    assert open_one.number in opened and closed.number not in opened
    assert closed.number in recent
