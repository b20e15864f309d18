"""The incident walk in a real browser: alice reports, lin takes and resolves, alice confirms.

Selectors lean on element ids and URLs rather than wording, except where the wording is what is being checked
(the English walk); the Chinese test checks the language through the html lang attribute only.
"""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from incidents.choices import IncidentState
from incidents.models import Incident
from tests.factories import PASSWORD

SCREENSHOT = "/tmp/walk.png"  # noqa: S108 - a fixed path the reviewer opens after the run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page: Page, button: Locator) -> None:
    """Click a form's button and fail with the server's answer if the page it leads to is an error."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    assert response.ok, f"{response.request.method} {response.url} answered {response.status}"


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    form = page.locator("main form[method=post]")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    submit(page, form.locator("button[type=submit]"))
    expect(page.locator("#user-menu")).to_be_visible()


def test_report_take_resolve_confirm(live_server, new_context, alice, lin, service_desk, mailoutbox):
    base = live_server.url
    title = "Cannot print on the 3rd floor printer"
    work_note = "Checked the print server: the queue was stuck."
    notes = "Restarted the print spooler; test page printed fine."

    # alice reports an issue in the portal and lands on her new ticket.
    requester = new_context().new_page()
    log_in(requester, base, "alice")
    expect(requester).to_have_url(re.compile(r"/portal/$"))
    requester.locator("#report-incident").click()
    expect(requester).to_have_url(re.compile(r"/portal/report/$"))
    form = requester.locator("#report-form")
    form.locator("input[name=title]").fill(title)
    form.locator("textarea[name=description]").fill("Every job stays **pending** since this morning.")
    submit(requester, form.locator("button[type=submit]"))
    expect(requester).to_have_url(re.compile(r"/portal/tickets/INC\d+/$"))
    number = re.search(r"/portal/tickets/(INC\d+)/$", requester.url).group(1)
    expect(requester.locator("h1")).to_have_text(title)
    expect(requester.locator(".alert-success")).to_contain_text(number)
    expect(requester.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "new")
    expect(requester.locator(".markdown strong")).to_have_text("pending")  # the description's Markdown rendered
    expect(requester.locator("#ticket-group")).to_have_text("Service Desk")
    # … and in her list of tickets.
    requester.goto(f"{base}/portal/tickets/")
    expect(requester.locator("#portal-ticket-list")).to_contain_text(number)
    expect(requester.locator("#portal-ticket-list")).to_contain_text(title)

    # lin, in a context of his own, finds it in "My groups, unassigned" and opens it.
    agent = new_context().new_page()
    log_in(agent, base, "lin")
    expect(agent).to_have_url(re.compile(r"/desk/$"))
    agent.locator("#queue-nav [data-queue=unassigned]").click()
    expect(agent).to_have_url(re.compile(r"/desk/queues/unassigned/$"))
    expect(agent.locator("#queue-nav [data-queue=unassigned]")).to_have_class(re.compile(r"\bactive\b"))
    agent.locator("#queue-table").get_by_role("link", name=number, exact=True).click()
    expect(agent).to_have_url(re.compile(rf"/desk/tickets/{number}/$"))

    # Take it.
    submit(agent, agent.locator("#take"))
    expect(agent.locator(".alert-success")).to_contain_text(number)
    expect(agent.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "in_progress")
    expect(agent.locator("#ticket-assignee")).to_have_text(lin.get_full_name())
    expect(agent.locator("#take")).to_have_count(0)

    # A work note (the internal box is ticked by default).
    comment = agent.locator("#comment-form")
    comment.locator("textarea[name=body]").fill(work_note)
    expect(comment.locator("input[name=internal]")).to_be_checked()
    submit(agent, comment.locator("button[type=submit]"))
    expect(agent.locator("#timeline li.internal", has_text=work_note)).to_have_count(1)

    # Resolve with a code and notes (the panel opens by itself for the assignee).
    resolve = agent.locator("#resolve-form")
    expect(resolve).to_be_visible()
    resolve.locator("select[name=code]").select_option("permanent")
    resolve.locator("textarea[name=notes]").fill(notes)
    submit(agent, resolve.locator("button[type=submit]"))
    expect(agent.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "resolved")
    expect(agent.locator("#incident-actions")).to_contain_text(notes)
    agent.screenshot(path="/tmp/walk-desk.png", full_page=True)  # noqa: S108

    # alice sees the resolution, confirms it, and the ticket is closed.
    requester.goto(f"{base}/portal/tickets/{number}/")
    expect(requester.locator("#resolution-notes")).to_have_text(notes)
    expect(requester.locator("#ticket-state")).to_have_text("Solved: please confirm")
    expect(requester.locator("body")).not_to_contain_text(work_note)  # internal notes stay in the desk
    submit(requester, requester.locator("#accept"))
    expect(requester.locator("#ticket-state")).to_have_text("Closed")
    expect(requester.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "closed")
    expect(requester.locator("#accept")).to_have_count(0)
    expect(requester.locator("#resolution")).to_contain_text(notes)
    requester.screenshot(path=SCREENSHOT, full_page=True)

    incident = Incident.objects.get(number=number)
    assert incident.state == IncidentState.CLOSED
    assert not incident.is_open
    assert incident.assignee == lin
    assert incident.resolution_code == "permanent"
    # Delivery ran on commit (eagerly): alice was told about lin's changes.
    assert any(alice.email in message.to for message in mailoutbox)


def test_on_hold_awaiting_caller_then_the_caller_answers(live_server, new_context, alice, lin, service_desk):
    """lin needs the error text: the incident waits for alice; her reply brings it back; lin resolves; alice closes."""
    base = live_server.url
    requester = new_context().new_page()
    log_in(requester, base, "alice")
    requester.locator("#report-incident").click()
    form = requester.locator("#report-form")
    form.locator("input[name=title]").fill("Outlook shows an error at start")
    form.locator("select[name=urgency]").select_option("1")
    submit(requester, form.locator("button[type=submit]"))
    number = re.search(r"/portal/tickets/(INC\d+)/", requester.url).group(1)

    # lin takes it and puts it on hold, waiting for the caller.
    agent = new_context().new_page()
    log_in(agent, base, "lin")
    agent.goto(f"{base}/desk/tickets/{number}/")
    submit(agent, agent.locator("#take"))
    expect(agent.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "in_progress")
    comment = agent.locator("#comment-form")
    comment.locator("textarea[name=body]").fill("Which error text do you see exactly?")
    comment.locator("input[name=internal]").uncheck()
    submit(agent, comment.locator("button[type=submit]"))
    agent.locator("#hold-form").locator("xpath=..").locator("summary").click()
    hold = agent.locator("#hold-form")
    hold.locator("select[name=reason]").select_option("awaiting_caller")
    submit(agent, hold.locator("button[type=submit]"))
    expect(agent.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "on_hold")
    expect(agent.locator("#on-hold-reason")).to_contain_text("Awaiting caller")

    # alice is asked for an answer, replies, and the incident is in progress again.
    requester.goto(f"{base}/portal/tickets/{number}/")
    expect(requester.locator("#awaiting-you")).to_be_visible()
    expect(requester.locator("#timeline")).to_contain_text("Which error text do you see exactly?")
    reply = requester.locator("#reply-form")
    reply.locator("textarea[name=body]").fill("It says: cannot start Microsoft Outlook (0x80040115).")
    submit(requester, reply.locator("button[type=submit]"))
    expect(requester.locator("#awaiting-you")).to_have_count(0)
    expect(requester.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "in_progress")

    # lin sees the answer, resolves; alice confirms; it is closed.
    agent.goto(f"{base}/desk/tickets/{number}/")
    expect(agent.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "in_progress")
    expect(agent.locator("#timeline")).to_contain_text("0x80040115")
    resolve = agent.locator("#resolve-form")
    resolve.locator("select[name=code]").select_option("remote")
    resolve.locator("textarea[name=notes]").fill("Rebuilt your Outlook profile remotely.")
    submit(agent, resolve.locator("button[type=submit]"))
    expect(agent.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "resolved")
    requester.goto(f"{base}/portal/tickets/{number}/")
    submit(requester, requester.locator("#accept"))
    expect(requester.locator("#ticket-state [data-state]")).to_have_attribute("data-state", "closed")

    incident = Incident.objects.get(number=number)
    states = list(incident.events.filter(kind="state").values_list("new_value", flat=True))
    assert states == ["assigned", "in_progress", "on_hold", "in_progress", "resolved", "closed"]
    assert incident.priority == 3  # low impact x high urgency


def test_portal_in_chinese_and_language_switch(live_server, new_context, alice):
    base = live_server.url
    page = new_context(locale="zh-CN").new_page()

    # The browser's Accept-Language picks Simplified Chinese, already on the login page.
    page.goto(f"{base}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    log_in(page, base, "alice")
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    switch = page.locator("#language-form select[name=language]")
    expect(switch).to_have_value("zh-hans")

    # The navbar's switch overrides the browser's choice, stays on the same page, and sticks.
    switch.select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator("#report-incident")).to_contain_text("Report an issue")
    page.goto(f"{base}/portal/tickets/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("#language-form select[name=language]").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(re.compile(r"/portal/tickets/$"))
    page.screenshot(path="/tmp/walk-zh.png", full_page=True)  # noqa: S108
