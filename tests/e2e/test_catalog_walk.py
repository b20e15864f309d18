"""The catalog walk in a real browser: alice orders a laptop through its form (a show-if question appears when
she picks the Pro model), her manager and then finance approve, the fulfilment groups complete the tasks step by
step, and alice sees it delivered and confirms."""

import re

import pytest
from playwright.sync_api import expect

from requests_catalog.choices import RequestState
from requests_catalog.models import FulfilmentTask, ServiceRequest
from tests.requests_catalog.conftest import (  # noqa: F401 - fixtures used by name
    carol,
    catalog,
    desktop_team,
    engineering,
    finance,
    identity_team,
)

from .test_walk import log_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def complete_task(page, base: str, number: str, notes: str) -> None:
    page.goto(f"{base}/desk/tickets/{number}/")
    form = page.locator("#task-complete-form")
    form.locator("input[name=notes]").fill(notes)
    submit(page, form.locator("#task-complete"))
    expect(page.locator(".alert-success")).to_contain_text(number)


def test_order_approve_fulfil_confirm(live_server, new_context, alice, carol, lin, lee, catalog):  # noqa: F811
    base = live_server.url

    # alice finds the laptop in the catalog and orders the Pro model, which asks her why.
    requester = new_context().new_page()
    log_in(requester, base, "alice")
    requester.locator("#report-request").click()
    expect(requester).to_have_url(re.compile(r"/portal/catalog/$"))
    search = requester.locator("#catalog-search")
    search.locator("input[name=q]").fill("laptop")
    submit(requester, search.locator("button[type=submit]"))
    requester.locator('.catalog-item[data-slug="laptop"]').click()
    form = requester.locator("#order-form")
    reason = form.locator("textarea[name=reason]")
    expect(reason).to_be_hidden()
    form.locator("select[name=model]").select_option("pro")
    expect(reason).to_be_visible()
    reason.fill("I compile large projects all day.")
    submit(requester, form.locator("#order-now"))
    expect(requester).to_have_url(re.compile(r"/portal/tickets/REQ\d+/$"))
    number = re.search(r"(REQ\d+)", requester.url).group(1)
    expect(requester.locator(".line-progress")).to_contain_text("Waiting for approval: Manager")
    expect(requester.locator('.answers [data-key="reason"]')).to_have_text("I compile large projects all day.")

    # carol, her manager, approves from "My approvals".
    manager = new_context().new_page()
    log_in(manager, base, "carol")
    manager.locator("#nav-approvals").click()
    manager.locator(f'#pending-approvals [data-request="{number}"]').click()
    expect(manager.locator('.answers [data-key="model"]')).to_contain_text("Pro")
    manager.locator("#id_comment").fill("Approved for the build work.")
    submit(manager, manager.locator("#approve"))
    expect(manager.locator(".alert-success")).to_contain_text(number)

    # The laptop costs more than finance lets through on its own: fred approves for finance.
    approver = new_context().new_page()
    log_in(approver, base, "fred")
    approver.goto(f"{base}/portal/approvals/")
    approver.locator(f'#pending-approvals [data-request="{number}"]').click()
    submit(approver, approver.locator("#approve"))
    assert ServiceRequest.objects.get(number=number).state == RequestState.IN_FULFILMENT

    # Desktop Support prepares it; then hands it over while Identity creates the device account.
    request = ServiceRequest.objects.get(number=number)
    tasks = {t.title.split(": ", 1)[1]: t.number for t in FulfilmentTask.objects.filter(request=request)}
    engineer = new_context().new_page()
    log_in(engineer, base, "lin")
    engineer.goto(f"{base}/desk/queues/open/?kind=task")
    expect(engineer.locator("#queue-table")).to_contain_text(tasks["Prepare the laptop"])
    expect(engineer.locator("#queue-table")).not_to_contain_text(tasks["Hand it over"])  # step 2 waits
    complete_task(engineer, base, tasks["Prepare the laptop"], "Imaged with the developer build.")
    complete_task(engineer, base, tasks["Hand it over"], "Handed over at the desk.")
    identity = new_context().new_page()
    log_in(identity, base, "lee")
    complete_task(identity, base, tasks["Create the device account"], "Enrolled in device management.")

    # alice sees it delivered, with every step done, and confirms.
    requester.goto(f"{base}/portal/tickets/{number}/")
    expect(requester.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "fulfilled")
    expect(requester.locator("#fulfilled")).to_be_visible()
    expect(requester.locator(".task-list li")).to_have_count(3)
    for item in requester.locator(".task-list li").all():
        expect(item).to_have_attribute("data-state", "done")
    submit(requester, requester.locator("#confirm"))
    expect(requester.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "closed")
