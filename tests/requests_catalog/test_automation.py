"""Automated fulfilment against a real webhook on the loopback interface: what it receives, what success and
failure do to the task and the request, the hand-over to the group after the last attempt, and runs that must
not call it (again)."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import requests
from celery.exceptions import Retry
from django.urls import reverse

from requests_catalog import services
from requests_catalog.choices import ItemState, RequestState, TaskState
from requests_catalog.definition import publish_version
from requests_catalog.form_engine import answers_from, build_order_form
from requests_catalog.models import (
    CatalogCategory,
    CatalogItem,
    FulfilmentTask,
    ItemField,
    ServiceRequest,
    TaskTemplate,
)
from requests_catalog.tasks import run_task_automation
from servicedesk import notifications
from servicedesk.models import Comment, IMWebhook, Notification, NotificationPreference, NotificationTopic, TicketEvent

HEADERS = {"Authorization": "Bearer s3cret", "X-Tenant": "acme"}


class Webhook:
    """What the loopback server received, and the statuses it answers with (200 once they run out)."""

    def __init__(self):
        self.calls: list[SimpleNamespace] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.url = ""

    def record(self, path: str, headers, body: bytes) -> int:
        with self.lock:
            self.calls.append(SimpleNamespace(path=path, headers=headers, json=json.loads(body or b"null")))
            return self.statuses.pop(0) if self.statuses else 200


def _handler(hook: Webhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = hook.record(self.path, self.headers, body)
            reply = json.dumps({"ok": status < 400}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format, *args):  # quiet test output
            pass

    return Handler


@pytest.fixture
def webhook(monkeypatch):
    """A webhook server on 127.0.0.1 (a free port), torn down after the test; no proxy between us and it."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    hook = Webhook()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hook))
    hook.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def make_item(identity_team, url: str, *, slug="mailbox", manual_before=False, manual_after=False, max_attempts=3):
    """A standard (pre-approved) shared mailbox whose provisioning task calls the webhook, Identity's to fulfil."""
    category, _ = CatalogCategory.objects.get_or_create(slug="office-software", defaults={"name": "Office software"})
    item = CatalogItem.objects.create(
        slug=slug,
        name="Shared mailbox",
        category=category,
        is_standard=True,
        max_quantity=2,
        fulfilment_group=identity_team,
    )
    for position, (key, label, field_type) in enumerate(
        [("address", "Address", "text"), ("size_gb", "Size (GB)", "number"), ("owner", "Owner", "user")], start=1
    ):
        ItemField.objects.create(
            item=item, position=position, key=key, label=label, field_type=field_type, required=True
        )
    ItemField.objects.create(item=item, position=4, key="archive", label="Archive", field_type="checkbox")
    step = 1
    if manual_before:
        TaskTemplate.objects.create(item=item, step=step, title="Check the name")
        step += 1
    TaskTemplate.objects.create(
        item=item,
        step=step,
        title="Create the mailbox",
        action="webhook",
        webhook_url=f"{url}/mailboxes",
        webhook_headers=HEADERS,
        max_attempts=max_attempts,
    )
    if manual_after:
        TaskTemplate.objects.create(item=item, step=step + 1, title="Tell the owner")
    publish_version(item)
    return item


def order(alice, item, quantity=2) -> ServiceRequest:
    """alice orders through the form engine, as the portal does."""
    form = build_order_form(
        item.current_version.form,
        user=alice,
        data={"address": "team-x", "size_gb": "50", "owner": "bob", "archive": "on"},
    )
    assert form.is_valid(), form.errors
    line = services.OrderLine(version=item.current_version, quantity=quantity, answers=answers_from(form))
    return services.submit_request(actor=alice, lines=[line])


def automated_task(request) -> FulfilmentTask:
    return FulfilmentTask.objects.get(request=request, title__endswith="Create the mailbox")


@pytest.fixture
def mailbox(identity_team, webhook):
    return make_item(identity_team, webhook.url)


@pytest.fixture
def ordered(alice, bob, mailbox):
    request = order(alice, mailbox)
    return SimpleNamespace(request=request, task=automated_task(request))


@pytest.fixture
def retries(monkeypatch):
    """Record the retries run_task_automation asks for (the real `retry` would re-queue on the broker)."""
    asked: list[int] = []

    def retry(*, countdown, exc):
        asked.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(run_task_automation, "retry", retry)
    return asked


def refreshed(task) -> FulfilmentTask:
    return FulfilmentTask.objects.get(pk=task.pk)


def run(task):
    """Run the Celery task in-process the way a worker would (eager retries run at once, one after another)."""
    return run_task_automation.apply(args=[task.pk]).get()


@pytest.mark.django_db
class TestEnqueue:
    def test_an_automated_task_is_queued_after_commit_and_nothing_is_posted_before(
        self, alice, bob, mailbox, webhook, monkeypatch, django_capture_on_commit_callbacks
    ):
        queued: list[int] = []
        monkeypatch.setattr(run_task_automation, "delay", queued.append)

        with django_capture_on_commit_callbacks(execute=True):
            request = order(alice, mailbox)

        task = automated_task(request)
        assert queued == [task.pk]
        assert task.state == TaskState.OPEN
        assert webhook.calls == []


@pytest.mark.django_db
class TestSuccess:
    def test_the_webhook_receives_the_answers_and_the_headers(self, ordered, webhook, bob):
        assert run(ordered.task) == "done"

        [call] = webhook.calls
        assert call.path == "/mailboxes"
        assert call.headers["Authorization"] == "Bearer s3cret"
        assert call.headers["X-Tenant"] == "acme"
        assert call.headers["Idempotency-Key"] == ordered.task.number
        assert call.headers["Content-Type"] == "application/json"
        assert call.json == {
            "request": ordered.request.number,
            "task": ordered.task.number,
            "requested_for": "alice",
            "item": "mailbox",
            "item_version": 1,
            "quantity": 2,
            "answers": {
                "address": "team-x",
                "size_gb": call.json["answers"]["size_gb"],  # see the next test
                "owner": {"id": bob.pk, "display": bob.get_full_name()},
                "archive": True,
            },
        }

    def test_a_number_answer_is_sent_in_plain_digits(self, ordered, webhook):
        run(ordered.task)

        assert webhook.calls[0].json["answers"]["size_gb"] == "50"

    def test_the_last_task_done_fulfils_the_request(self, ordered):
        run(ordered.task)

        task = refreshed(ordered.task)
        assert (task.state, task.attempts, task.last_error) == (TaskState.DONE, 1, "")
        assert task.completion_notes == "Completed by automation (HTTP 200)."
        request = ServiceRequest.objects.get(pk=ordered.request.pk)
        assert request.state == RequestState.FULFILLED
        assert request.lines.get().state == ItemState.FULFILLED

    def test_a_later_step_opens_when_the_automation_is_not_last(self, alice, bob, identity_team, webhook):
        item = make_item(identity_team, webhook.url, manual_after=True)
        request = order(alice, item)

        run(automated_task(request))

        after = FulfilmentTask.objects.get(request=request, title__endswith="Tell the owner")
        assert after.state == TaskState.OPEN
        assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.IN_FULFILMENT

    def test_a_failure_then_a_success_keeps_the_idempotency_key(self, ordered, webhook):
        webhook.statuses = [503]

        assert run(ordered.task) == "done"  # the eager retry ran at once

        assert [call.headers["Idempotency-Key"] for call in webhook.calls] == [ordered.task.number] * 2
        task = refreshed(ordered.task)
        assert (task.state, task.attempts, task.last_error) == (TaskState.DONE, 2, "")


@pytest.mark.django_db
class TestFailure:
    def test_an_error_counts_an_attempt_and_asks_for_a_retry_with_backoff(self, ordered, webhook, retries):
        webhook.statuses = [500, 500]

        for _attempt in range(2):
            with pytest.raises(Retry):
                run_task_automation.run(ordered.task.pk)

        assert retries == [10, 20]
        task = refreshed(ordered.task)
        assert (task.state, task.attempts) == (TaskState.OPEN, 2)
        assert "500" in task.last_error
        assert not task.automation.get("handed_over")
        assert len(webhook.calls) == 2

    def test_after_the_last_attempt_the_group_takes_over(self, ordered, webhook, identity_team):
        webhook.statuses = [500] * 10

        assert run(ordered.task) == "handed over"

        assert len(webhook.calls) == 3  # max_attempts, then no more
        task = refreshed(ordered.task)
        assert (task.state, task.assignment_group, task.attempts) == (TaskState.OPEN, identity_team, 3)
        assert task.is_open and task.automation["handed_over"] is True
        handed_over = TicketEvent.objects.get(ticket=task, field="automation")
        assert handed_over.actor is None and not handed_over.is_public
        assert "3 failed attempts" in handed_over.new_display and "500" in handed_over.reason
        assert not Comment.objects.filter(ticket=task).exists()  # no note in a person's name
        [told] = Notification.objects.filter(event=handed_over)
        assert (told.recipient, told.channel, told.topic) == (identity_team.manager, "email", "escalated")
        assert ServiceRequest.objects.get(pk=ordered.request.pk).state == RequestState.IN_FULFILMENT

        assert run(task) == "skipped"  # a late redelivery does not call again
        assert len(webhook.calls) == 3
        assert refreshed(task).attempts == 3

    def test_the_manager_is_told_who_handed_what_over_and_why(self, ordered, webhook, identity_team):
        manager = identity_team.manager
        IMWebhook.objects.create(name="Robot", kind="dingtalk", url="http://127.0.0.1:9/send", user=manager)
        webhook.statuses = [500] * 10

        run(ordered.task)

        rows = {row.channel: row for row in Notification.objects.filter(recipient=manager, topic="escalated")}
        assert set(rows) == {"email", "dingtalk"}
        subject, body = notifications.render_email(rows["email"])
        title, text = notifications.render_im(rows["dingtalk"])
        number = ordered.task.number
        assert subject == title and subject.startswith(f"[{number}] ") and subject.endswith("(Escalated to you)")
        for words in (body, text):
            assert f"The system escalated {number} to you." in words
            assert "Reason: 500 Server Error" in words  # the webhook's last answer
            assert reverse("servicedesk:desk_ticket", args=[number]) in words
        assert "Group: Identity" in body

    def test_a_manager_who_switched_escalations_off_is_not_told(self, ordered, webhook, identity_team):
        others = [topic for topic in NotificationTopic.values if topic != "escalated"]
        NotificationPreference.objects.create(user=identity_team.manager, email_topics=others, im_topics=others)
        webhook.statuses = [500] * 10

        assert run(ordered.task) == "handed over"

        assert refreshed(ordered.task).automation["handed_over"] is True
        assert not Notification.objects.filter(event__ticket=ordered.task).exists()

    def test_people_finish_a_handed_over_task(self, ordered, webhook, lee):
        webhook.statuses = [500] * 3
        run(ordered.task)

        services.complete_task(task=refreshed(ordered.task), actor=lee, notes="Created by hand.")

        assert ServiceRequest.objects.get(pk=ordered.request.pk).state == RequestState.FULFILLED

    def test_a_person_completing_the_task_during_the_call_is_not_an_error(self, ordered, webhook, lee, monkeypatch):
        real_post = requests.post

        def post_while_lee_finishes_it(*args, **kwargs):
            response = real_post(*args, **kwargs)
            services.complete_task(task=refreshed(ordered.task), actor=lee, notes="Created it myself.")
            return response

        monkeypatch.setattr(requests, "post", post_while_lee_finishes_it)

        assert run(ordered.task) in ("done", "skipped")

        task = refreshed(ordered.task)
        assert (task.state, task.completion_notes) == (TaskState.DONE, "Created it myself.")

    def test_an_unreachable_webhook_counts_like_an_error(self, alice, bob, identity_team, webhook):
        with socket.socket() as probe:  # a port nothing listens on any more
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        item = make_item(identity_team, f"http://127.0.0.1:{closed}", max_attempts=1)
        task = automated_task(order(alice, item))

        assert run(task) == "handed over"

        task = refreshed(task)
        assert (task.state, task.attempts) == (TaskState.OPEN, 1)
        assert "Connection" in task.last_error


@pytest.mark.django_db
class TestNothingToDo:
    def test_a_done_task_is_not_posted_again(self, ordered, webhook):
        run(ordered.task)

        assert run(ordered.task) == "skipped"

        assert len(webhook.calls) == 1
        assert refreshed(ordered.task).attempts == 1

    def test_a_pending_task_is_skipped(self, alice, bob, identity_team, webhook):
        item = make_item(identity_team, webhook.url, manual_before=True)
        task = automated_task(order(alice, item))
        assert task.state == TaskState.PENDING

        assert run(task) == "skipped"

        assert webhook.calls == []
        assert (refreshed(task).state, refreshed(task).attempts) == (TaskState.PENDING, 0)

    def test_a_task_a_person_started_is_skipped(self, ordered, webhook, lee):
        services.start_task(task=ordered.task, actor=lee)

        assert run(ordered.task) == "skipped"

        assert webhook.calls == []

    def test_a_deleted_task_is_skipped(self, webhook):
        assert run(SimpleNamespace(pk=0)) == "skipped"
        assert webhook.calls == []
