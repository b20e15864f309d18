"""The CMDB walks in a real browser: lin opens an incident on a server, follows its CI link from the CMDB panel,
and sees the business service that depends on the server in the impact list and in the SVG picture; alice
reports an issue on her own laptop (the only device the form offers her) and lin finds it on the laptop's page."""

import pytest
from playwright.sync_api import expect

from cmdb import services
from cmdb.models import CIClass, RelationType, RelationTypePair
from servicedesk import roles
from tests.factories import UserFactory, report

from .test_walk import log_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server_incident(alice, lin, service_desk):
    """Transactional tests flush the data migration's classes, so the walk makes (or finds) the few it needs."""
    carl = UserFactory(username="carl", roles=[roles.CMDB_MANAGER])
    service, _ = CIClass.objects.get_or_create(name="Business Service", defaults={"kind": "business_service"})
    application, _ = CIClass.objects.get_or_create(name="Application", defaults={"kind": "application"})
    server, _ = CIClass.objects.get_or_create(name="Server", defaults={"kind": "server"})
    depends, _ = RelationType.objects.get_or_create(name="depends on", defaults={"reverse_name": "is depended on by"})
    RelationTypePair.objects.get_or_create(relation_type=depends, source_class=None, target_class=None)
    email = services.create_ci(actor=carl, ci_class=service, name="Email")
    app = services.create_ci(actor=carl, ci_class=application, name="mail-app")
    srv = services.create_ci(actor=carl, ci_class=server, name="srv01")
    services.add_relation(actor=carl, source=email, target=app, relation_type=depends)
    services.add_relation(actor=carl, source=app, target=srv, relation_type=depends)
    # The desk records it for alice: an end user may only pick her own CIs and the services.
    return report(lin, requester=alice, title="srv01 does not answer", configuration_item=srv), email


def test_engineer_follows_the_incident_ci_to_the_impacted_service(live_server, new_context, lin, server_incident):
    incident, email = server_incident
    base = live_server.url
    page = new_context().new_page()
    log_in(page, base, "lin")

    page.goto(f"{base}/desk/tickets/{incident.number}/")
    panel = page.locator("#cmdb-ticket-panel")
    expect(panel.locator(f'#cmdb-impacted-services [data-ci="{email.pk}"]')).to_contain_text("Email")
    submit(page, panel.locator("#cmdb-panel-ci"))

    expect(page.locator("#ci-name")).to_contain_text("srv01")
    expect(page.locator(f'#impact-upstream li.impact-service[data-ci="{email.pk}"]')).to_contain_text("Email")
    node = page.locator(f'#ci-impact-svg svg g.cmdb-service[data-ci="{email.pk}"]')
    expect(node).to_be_visible()
    expect(node.locator("text")).to_have_text("Email")
    expect(page.locator(f'#ci-open-incidents [data-number="{incident.number}"]')).to_be_visible()

    page.locator("#impact-depth").select_option("1")  # htmx swaps the impact card: Email is two hops away
    expect(page.locator(f'#impact-upstream [data-ci="{email.pk}"]')).to_have_count(0)


def test_end_user_reports_on_her_own_laptop_and_the_engineer_finds_it_on_the_ci(
    live_server, new_context, alice, bob, lin, service_desk
):
    carl = UserFactory(username="carl", roles=[roles.CMDB_MANAGER])
    service_class, _ = CIClass.objects.update_or_create(
        name="Business Service", defaults={"kind": "business_service", "offered_to_all": True}
    )
    workstation, _ = CIClass.objects.get_or_create(name="Workstation", defaults={"kind": "workstation"})
    email = services.create_ci(actor=carl, ci_class=service_class, name="Email")
    mine = services.create_ci(actor=carl, ci_class=workstation, name="LT-1001", owned_by=alice)
    services.create_ci(actor=carl, ci_class=workstation, name="LT-1002", owned_by=bob)
    base = live_server.url

    page = new_context().new_page()
    log_in(page, base, "alice")
    page.goto(f"{base}/portal/report/")
    device = page.locator("select[name=configuration_item]")
    expect(device.locator("option")).to_have_text(["---------", "LT-1001"])  # not bob's laptop
    page.locator("input[name=title]").fill("My laptop does not wake from sleep")
    device.select_option(str(mine.pk))
    page.locator("select[name=affected_service]").select_option(str(email.pk))
    submit(page, page.locator("#report-form button[type=submit]"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]

    desk = new_context().new_page()
    log_in(desk, base, "lin")
    desk.goto(f"{base}/desk/cmdb/{mine.pk}/")
    expect(desk.locator(f'#ci-open-incidents [data-number="{number}"]')).to_contain_text("does not wake")
    expect(desk.locator("#ci-fields")).to_contain_text(alice.get_full_name())
