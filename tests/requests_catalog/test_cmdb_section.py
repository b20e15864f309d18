"""The requests section of a CI page: the service requests whose order form named the CI, open and recently
ended, as far as the viewing user may open them on the desk."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from cmdb import services as cmdb
from cmdb.models import CIClass
from requests_catalog import services
from requests_catalog.models import FulfilmentTask
from servicedesk import roles
from tests.factories import UserFactory, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def cis(db):
    carl = UserFactory(username="carl", roles=[roles.CMDB_MANAGER])
    server = CIClass.objects.get(name="Linux Server")
    return SimpleNamespace(
        carl=carl,
        srv01=cmdb.create_ci(actor=carl, ci_class=server, name="srv01"),
        srv02=cmdb.create_ci(actor=carl, ci_class=server, name="srv02"),
    )


def on_ci(ci, label="Server", key="server"):
    return SimpleNamespace(key=key, label=label, type="ci", value=ci, display=ci.name)


def order(user, item, *answers):
    """An order of one item whose form answered with `answers` (the service stores them as the engine typed them)."""
    line = services.OrderLine(version=item.current_version, answers=list(answers))
    return services.submit_request(actor=user, lines=[line])


def fulfil(request, engineer):
    for task in FulfilmentTask.objects.filter(request=request):
        services.complete_task(task=services.start_task(task=task, actor=engineer), actor=engineer)


def section(client, ci) -> dict[str, str]:
    html = client.get(reverse("cmdb:ci_detail", args=[ci.pk])).content.decode()
    start = html.find('id="ci-requests"')
    assert start != -1
    html = html[start:]
    return {
        "open": html[html.find('id="ci-open-requests"') : html.find('id="ci-recent-requests"')],
        "recent": html[html.find('id="ci-recent-requests"') : html.find("</ul>", html.find('id="ci-recent-requests"'))],
    }


def test_lists_open_and_recent_requests_on_the_ci_and_not_others(login, alice, lee, mona, catalog, cis):
    # The reset goes straight to fulfilment (a standard item) with Identity; the laptops wait for approval.
    open_one = order(alice, catalog.laptop, on_ci(cis.srv01, label="Install on"))
    cancelled = order(alice, catalog.laptop, on_ci(cis.srv01))
    services.cancel_request(request=cancelled, actor=alice, reason="Not needed any more")
    fulfilled = order(alice, catalog.reset, on_ci(cis.srv01))
    fulfil(fulfilled, lee)
    elsewhere = order(alice, catalog.laptop, on_ci(cis.srv02))
    no_ci = order(alice, catalog.laptop)

    shown = section(login(mona), cis.srv01)
    assert open_one.number in shown["open"] and "Install on" in shown["open"]
    assert alice.get_full_name() in shown["open"] and "Awaiting approval" in shown["open"]
    assert cancelled.number in shown["recent"] and fulfilled.number in shown["recent"]
    assert "Cancelled" in shown["recent"] and "Fulfilled" in shown["recent"]
    assert cancelled.number not in shown["open"] and open_one.number not in shown["recent"]
    everything = shown["open"] + shown["recent"]
    assert elsewhere.number not in everything and no_ci.number not in everything


def test_a_request_naming_the_ci_twice_is_listed_once(login, alice, mona, catalog, cis):
    twice = order(alice, catalog.laptop, on_ci(cis.srv01), on_ci(cis.srv01, label="Backup to", key="backup"))
    assert section(login(mona), cis.srv01)["open"].count(f'data-number="{twice.number}"') == 1


def test_an_engineer_sees_only_the_requests_they_may_open(login, alice, lin, lee, mona, catalog, cis):
    laptop = order(alice, catalog.laptop, on_ci(cis.srv01))  # Desktop Support: lin's group
    reset = order(alice, catalog.reset, on_ci(cis.srv01))  # Identity: lee's group
    assert login(lin).get(reverse("servicedesk:desk_ticket", args=[reset.number])).status_code == 404

    for user, sees, hidden in ((lin, laptop, reset), (lee, reset, laptop)):
        shown = section(login(user), cis.srv01)["open"]
        assert sees.number in shown
        assert hidden.number not in shown and f"/{hidden.number}/" not in shown
    managers = section(login(mona), cis.srv01)["open"]
    assert laptop.number in managers and reset.number in managers
    # A CMDB reader outside the desk (a CMDB Manager) reads the CI but no ticket on it, and is told why.
    page = login(cis.carl).get(reverse("cmdb:ci_detail", args=[cis.srv01.pk])).content.decode()
    assert page.count("ci-tickets-outside-desk") == 2  # the incidents and the requests section
    assert laptop.number not in page and reset.number not in page


def test_ci_page_queries_do_not_grow_with_tickets(login, alice, lin, catalog, cis, django_assert_max_num_queries):
    def tickets(count):
        for i in range(count):
            order(alice, catalog.laptop, on_ci(cis.srv01))
            ended = order(alice, catalog.laptop, on_ci(cis.srv01))
            services.cancel_request(request=ended, actor=alice, reason="Ordered twice")
            report(lin, requester=alice, title=f"srv01 slow {i}", configuration_item=cis.srv01)

    client = login(lin)
    tickets(1)
    section(client, cis.srv01)  # warm caches (kinds, session)
    with django_assert_max_num_queries(30) as few:
        section(client, cis.srv01)
    tickets(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        shown = section(client, cis.srv01)
    assert shown["open"].count("data-number=") == 10 and shown["recent"].count("data-number=") == 10
