"""The CMDB walk in a real browser: lin opens an incident on a server, follows its CI link from the CMDB panel,
and sees the business service that depends on the server in the impact list and in the SVG picture."""

import pytest
from playwright.sync_api import expect

from cmdb import services
from cmdb.models import CIClass, RelationType, RelationTypePair
from servicedesk import roles
from tests.factories import UserFactory, report

from .test_walk import log_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server_incident(alice, service_desk):
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
    return report(alice, title="srv01 does not answer", configuration_item=srv), email


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
