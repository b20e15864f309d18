"""Chat webhooks: each platform's format against a real HTTP server on the loopback, retries, and send-once."""

import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from celery.exceptions import Retry
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from servicedesk import notifications, services
from servicedesk.models import IMWebhook, Notification, NotificationChannel, NotificationTopic
from servicedesk.tasks import deliver_notification, redeliver_pending_notifications
from tests.factories import UserFactory

SECRET = "SEC0123456789abcdef"


class Robot:
    """What the fake chat platform received, and what it answers next (status, body)."""

    def __init__(self):
        self.received: list[dict] = []
        self.answer: tuple[int, str] = (200, json.dumps({"errcode": 0, "errmsg": "ok"}))


@pytest.fixture
def robot():
    """A chat platform on 127.0.0.1 (port chosen by the system): records each POST, answers `robot.answer`."""
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            url = urlsplit(self.path)
            state.received.append(
                {
                    "path": url.path,
                    "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(self.rfile.read(length)),
                }
            )
            status, body = state.answer
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if body.startswith("{") else "text/plain")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def _webhook(robot, kind, **serves) -> IMWebhook:
    secret = SECRET if kind == IMWebhook.Kind.DINGTALK else ""
    url = f"{robot.url}/robot/send?access_token=tok123"
    return IMWebhook.objects.create(name=f"{kind} robot", kind=kind, url=url, secret=secret, **serves)


def _reply(incident, lin, body="Please **restart** the laptop & try again."):
    services.add_comment(ticket=incident, author=lin, body=body)
    return Notification.objects.filter(event__ticket=incident).exclude(channel=NotificationChannel.EMAIL).get()


# -- each platform's format --------------------------------------------------------------------------


def test_dingtalk_gets_signed_markdown(incident, lin, alice, robot):
    _webhook(robot, IMWebhook.Kind.DINGTALK, user=alice)
    row = _reply(incident, lin)
    assert (row.channel, row.topic, row.recipient) == ("dingtalk", NotificationTopic.COMMENTED, alice)

    assert deliver_notification.run(row.pk) == "sent"

    (request,) = robot.received
    assert request["path"] == "/robot/send"
    assert request["content_type"] == "application/json"
    assert request["json"]["msgtype"] == "markdown"
    markdown = request["json"]["markdown"]
    assert "INC0000001" in markdown["title"] and "New reply" in markdown["title"]
    assert "Please **restart** the laptop & try again." in markdown["text"]
    assert "/portal/tickets/INC0000001/" in markdown["text"]
    # DingTalk's check: base64(HMAC-SHA256(secret, "<timestamp>\n<secret>")), the timestamp in milliseconds.
    query = request["query"]
    assert query["access_token"] == "tok123"
    expected = hmac.new(SECRET.encode(), f"{query['timestamp']}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert query["sign"] == base64.b64encode(expected).decode()
    assert abs(int(query["timestamp"]) / 1000 - timezone.now().timestamp()) < 60
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Notification.Status.SENT, 1, "")


def test_dingtalk_without_a_secret_is_not_signed(incident, lin, alice, robot):
    webhook = _webhook(robot, IMWebhook.Kind.DINGTALK, user=alice)
    IMWebhook.objects.filter(pk=webhook.pk).update(secret="")

    deliver_notification.run(_reply(incident, lin).pk)

    assert set(robot.received[0]["query"]) == {"access_token"}


def test_wecom_gets_markdown_content(incident, lin, alice, robot):
    _webhook(robot, IMWebhook.Kind.WECOM, user=alice)

    assert deliver_notification.run(_reply(incident, lin).pk) == "sent"

    (request,) = robot.received
    assert request["query"] == {"access_token": "tok123"}
    assert set(request["json"]) == {"msgtype", "markdown"}
    assert request["json"]["msgtype"] == "markdown"
    content = request["json"]["markdown"]["content"]
    assert "**[INC0000001] Cannot connect to the Wi-Fi**" in content
    assert "Please **restart** the laptop & try again." in content


def test_slack_gets_a_mrkdwn_section(incident, lin, alice, robot, settings):
    _webhook(robot, IMWebhook.Kind.SLACK, user=alice)
    robot.answer = (200, "ok")

    assert deliver_notification.run(_reply(incident, lin, body="Use <Ctrl> & **restart**").pk) == "sent"

    payload = robot.received[0]["json"]
    assert "INC0000001" in payload["text"]
    (block,) = payload["blocks"]
    assert block["type"] == "section" and block["text"]["type"] == "mrkdwn"
    text = block["text"]["text"]
    # Slack's dialect: &, <, > escaped, *bold*, <url|label> links.
    assert "Use &lt;Ctrl&gt; &amp; *restart*" in text
    assert f"<{settings.SITE_URL}/portal/tickets/INC0000001/|INC0000001>" in text


def test_a_group_webhook_names_the_member_it_is_for(incident, lin, mona, service_desk, robot):
    _webhook(robot, IMWebhook.Kind.WECOM, group=service_desk)

    services.assign_ticket(ticket=incident, actor=mona, group=service_desk, assignee=lin)

    row = Notification.objects.get(recipient=lin, channel=NotificationChannel.WECOM)
    assert row.topic == NotificationTopic.ASSIGNED
    deliver_notification.run(row.pk)
    content = robot.received[0]["json"]["markdown"]["content"]
    assert f"**@{lin.get_full_name()}**" in content
    assert "assigned INC0000001 to you" in content
    assert "/desk/tickets/INC0000001/" in content


def test_a_personal_webhook_comes_before_the_groups(incident, lin, mona, service_desk, robot):
    _webhook(robot, IMWebhook.Kind.WECOM, group=service_desk)
    personal = _webhook(robot, IMWebhook.Kind.SLACK, user=lin)

    services.assign_ticket(ticket=incident, actor=mona, group=service_desk, assignee=lin)

    rows = Notification.objects.filter(recipient=lin).values_list("channel", "webhook")
    assert sorted(rows) == [("email", None), ("slack", personal.pk)]


# -- failures, retries, send-once --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        (IMWebhook.Kind.DINGTALK, (200, '{"errcode": 310000, "errmsg": "sign not match"}')),
        (IMWebhook.Kind.WECOM, (200, '{"errcode": 93000, "errmsg": "invalid webhook url"}')),
        (IMWebhook.Kind.WECOM, (200, "<html>captive portal</html>")),
        (IMWebhook.Kind.SLACK, (400, "invalid_payload")),
        (IMWebhook.Kind.SLACK, (500, "oops")),
    ],
)
def test_a_refusal_is_recorded_and_retried_with_backoff(incident, lin, alice, robot, kind, answer):
    _webhook(robot, kind, user=alice)
    robot.answer = answer
    row = _reply(incident, lin)

    with pytest.raises(Retry):
        deliver_notification.run(row.pk)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.PENDING, 1)
    assert answer[1][:20] in row.last_error
    assert row.next_attempt_at - timezone.now() == pytest.approx(timedelta(seconds=10), abs=timedelta(seconds=3))


def test_an_unreachable_platform_is_retried(incident, lin, alice, robot):
    webhook = _webhook(robot, IMWebhook.Kind.SLACK, user=alice)
    IMWebhook.objects.filter(pk=webhook.pk).update(url="http://127.0.0.1:9/nothing-listens-here")
    row = _reply(incident, lin)

    assert notifications.deliver(row.pk) == ("retry", 10)

    row.refresh_from_db()
    assert "ConnectionError" in row.last_error


def test_retries_back_off_and_give_up_after_the_maximum(incident, lin, alice, robot):
    _webhook(robot, IMWebhook.Kind.DINGTALK, user=alice)
    robot.answer = (200, '{"errcode": 130101, "errmsg": "send too fast"}')
    row = _reply(incident, lin)
    delays = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _attempt in range(notifications.MAX_ATTEMPTS - 1):
            outcome = notifications.deliver(row.pk)
            assert outcome.status == "retry"
            delays.append(outcome.retry_in)
            assert notifications.deliver(row.pk).status == "skipped"  # too early: waits out the backoff
            clock.shift(timedelta(seconds=outcome.retry_in))

        assert notifications.deliver(row.pk).status == "failed"

    assert delays == [10, 20, 40, 80, 160, 320, 600]
    assert len(robot.received) == notifications.MAX_ATTEMPTS
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.FAILED, notifications.MAX_ATTEMPTS)
    assert "send too fast" in row.last_error
    assert notifications.deliver(row.pk).status == "skipped"
    assert len(robot.received) == notifications.MAX_ATTEMPTS


def test_a_sent_row_is_never_sent_again(incident, lin, alice, robot):
    _webhook(robot, IMWebhook.Kind.WECOM, user=alice)
    row = _reply(incident, lin)

    assert deliver_notification.run(row.pk) == "sent"
    assert deliver_notification.run(row.pk) == "skipped"

    assert len(robot.received) == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_a_retry_after_a_failure_sends_once(incident, lin, alice, robot):
    _webhook(robot, IMWebhook.Kind.WECOM, user=alice)
    robot.answer = (503, "busy")
    row = _reply(incident, lin)
    assert notifications.deliver(row.pk).status == "retry"
    robot.answer = (200, '{"errcode": 0, "errmsg": "ok"}')

    with time_machine.travel(timezone.now() + timedelta(seconds=10)):
        assert deliver_notification.run(row.pk) == "sent"
        assert deliver_notification.run(row.pk) == "skipped"

    assert len(robot.received) == 2
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Notification.Status.SENT, 2, "")


def test_a_switched_off_webhook_fails_at_once(incident, lin, alice, robot):
    webhook = _webhook(robot, IMWebhook.Kind.WECOM, user=alice)
    row = _reply(incident, lin)
    IMWebhook.objects.filter(pk=webhook.pk).update(is_active=False)

    assert deliver_notification.run(row.pk) == "failed"

    assert robot.received == []
    row.refresh_from_db()
    assert (row.status, row.last_error) == (Notification.Status.FAILED, "the webhook was removed or switched off")


def test_a_deleted_webhook_fails_at_once(incident, lin, alice, robot):
    webhook = _webhook(robot, IMWebhook.Kind.WECOM, user=alice)
    row = _reply(incident, lin)
    webhook.delete()

    assert deliver_notification.run(row.pk) == "failed"
    assert robot.received == []


def test_an_email_failure_is_retried_too(pending_email, monkeypatch):
    def smtp_down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", smtp_down)

    assert notifications.deliver(pending_email.pk) == ("retry", 10)

    pending_email.refresh_from_db()
    assert (pending_email.status, pending_email.attempts) == (Notification.Status.PENDING, 1)
    assert "smtp down" in pending_email.last_error


@pytest.fixture
def pending_email(incident, lin):
    services.add_comment(ticket=incident, author=lin, body="Please restart.")
    return Notification.objects.get(event__ticket=incident, channel=NotificationChannel.EMAIL)


def test_redelivery_leaves_rows_waiting_out_their_backoff(pending_email, sent_tasks):
    due = pending_email.created_at + timedelta(minutes=5)
    Notification.objects.filter(pk=pending_email.pk).update(attempts=3, next_attempt_at=due)

    with time_machine.travel(due - timedelta(minutes=1)):
        assert redeliver_pending_notifications(older_than_seconds=60) == 0
    with time_machine.travel(due):
        assert redeliver_pending_notifications(older_than_seconds=60) == 1

    assert sent_tasks == [pending_email.pk]


# -- every topic has words for every channel ----------------------------------------------------------


@pytest.mark.parametrize("topic", NotificationTopic.values)
def test_every_topic_renders_for_email_and_chat(incident, lin, alice, robot, topic):
    _webhook(robot, IMWebhook.Kind.WECOM, user=alice)
    event = incident.events.get()  # "created"
    notifications.notify(event, [alice], topic)
    rows = {row.channel: row for row in Notification.objects.filter(event=event)}

    subject, body = notifications.render_email(rows["email"])
    title, text = notifications.render_im(rows["wecom"])

    assert subject.startswith("[INC0000001] Cannot connect to the Wi-Fi (") and "\n" not in subject
    assert body.startswith(f"Hello {alice.get_full_name()},") and "/portal/tickets/INC0000001/" in body
    assert "{%" not in body and "{{" not in body
    assert title == subject
    assert "[INC0000001](" in text and "{%" not in text


def test_incident_resolution_email_keeps_its_words(in_progress_incident, lin, mailoutbox, settings):
    incident_services.resolve_incident(incident=in_progress_incident, actor=lin, code="permanent", notes="Done")
    row = Notification.objects.get(event__new_value="resolved")
    assert row.topic == NotificationTopic.RESOLVED

    deliver_notification.run(row.pk)

    (email,) = mailoutbox
    assert email.subject == "[INC0000001] Cannot connect to the Wi-Fi (Solved: please confirm)"
    assert "Your ticket is now: Solved: please confirm" in email.body
    # The row's own Message-ID, so a repeat after a crash is recognisably the same message.
    assert email.message()["Message-ID"] == f"<notification-{row.pk}@{urlsplit(settings.SITE_URL).hostname}>"


def test_a_practice_words_its_own_events_first():
    assert notifications.template_names("requests_catalog", "approval", "approval_needed", "subject") == [
        "requests_catalog/email/approval_subject.txt",
        "servicedesk/notifications/approval_needed.txt",
        "servicedesk/email/update_subject.txt",
    ]
    assert notifications.template_names("incidents", "state", "resolved", "im") == [
        "incidents/im/state.md",
        "servicedesk/notifications/resolved.txt",
    ]
    # Rows written without a topic (by a practice directly) keep the generic wording.
    assert notifications.template_names("incidents", "field", "", "body")[1:] == ["servicedesk/email/update_body.txt"]


# -- the admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(login):
    return login(UserFactory(username="root", is_superuser=True, is_staff=True))


def _add_webhook(admin_client, **fields):
    data = {"name": "Desk robot", "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=x"}
    data.update({"secret": "", "group": "", "user": "", "is_active": "on"}, **fields)
    return admin_client.post(reverse("admin:servicedesk_imwebhook_add"), data)


def test_the_admin_adds_a_group_webhook(admin_client, service_desk):
    assert admin_client.get(reverse("admin:servicedesk_imwebhook_add")).status_code == 200

    response = _add_webhook(admin_client, group=service_desk.pk, secret=SECRET)

    assert response.status_code == 302
    webhook = IMWebhook.objects.get()
    assert (webhook.group, webhook.user, webhook.secret) == (service_desk, None, SECRET)
    assert "Desk robot" in admin_client.get(reverse("admin:servicedesk_imwebhook_changelist")).content.decode()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("serves nobody", "Choose either a support group or a person."),
        ("serves both", "Choose either a support group or a person."),
        ("slack with a secret", "Only DingTalk robots sign their messages."),
        ("bad url", "Enter a valid URL."),
    ],
)
def test_the_admin_refuses_a_bad_webhook(admin_client, service_desk, alice, case, message):
    fields = {
        "serves nobody": {},
        "serves both": {"group": service_desk.pk, "user": alice.pk},
        "slack with a secret": {"group": service_desk.pk, "kind": "slack", "secret": SECRET},
        "bad url": {"group": service_desk.pk, "url": "not a url"},
    }[case]

    response = _add_webhook(admin_client, **fields)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not IMWebhook.objects.exists()


def test_the_outbox_is_listed_read_only_with_channel_filters(admin_client, incident, lin, alice, robot):
    _webhook(robot, IMWebhook.Kind.SLACK, user=alice)
    _reply(incident, lin)

    url = reverse("admin:servicedesk_notification_changelist")
    listed = admin_client.get(url, {"channel__exact": "slack"})
    assert listed.status_code == 200
    assert [row.channel for row in listed.context["cl"].result_list] == ["slack"]
    assert admin_client.get(url, {"channel__exact": "email"}).context["cl"].result_count == 1
    assert admin_client.get(reverse("admin:servicedesk_notification_add")).status_code == 403
