"""Notifications: who hears of a ticket event, on which channel, in which words, and how it is delivered.

Every producer calls `notify(event, recipients, topic)` inside the transaction that wrote the event: it writes
one outbox row per recipient and channel their preferences enable, and queues delivery after commit, a chunk
of rows per broker message. `deliver` (run by `tasks.deliver_notifications`) sends one row by email or to a
chat webhook, exactly once per row as far as the database can tell (see `deliver` for the one gap).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .choices import EventKind
from .models import (
    IMWebhook,
    Notification,
    NotificationChannel,
    NotificationPreference,
    NotificationTopic,
    TicketEvent,
)

Topic = NotificationTopic

# The state codes that mean "your ticket is solved" in every kind; a kind adds its own under
# `extra["resolved_states"]` (a catalog request is solved when it is Delivered, say).
RESOLVED_STATES = frozenset({"resolved"})


# -- who hears of what -------------------------------------------------------------------------------


def topic_for(event: TicketEvent, ticket) -> str | None:
    """The notification topic of an activity event, or None when the event is not worth a message."""
    if event.kind == EventKind.COMMENT:
        return Topic.COMMENTED
    if event.kind == EventKind.STATE:
        return Topic.RESOLVED if is_resolution(ticket, event.new_value) else Topic.STATE_CHANGED
    if event.kind == EventKind.FIELD and event.field == "assignee" and event.new_value:
        return Topic.ASSIGNED
    if event.kind == EventKind.SLA:
        return {"warning": Topic.SLA_WARNING, "breach": Topic.SLA_BREACHED}.get(event.field)
    return None


def is_resolution(ticket, state: str) -> bool:
    """Whether reaching `state` solves the ticket (a closed state named resolved, or one the kind lists)."""
    kind = ticket.kind_info
    resolved = RESOLVED_STATES | frozenset(kind.extra.get("resolved_states", ()))
    return state in resolved and not kind.state(state).is_open


def recipients_for(event: TicketEvent, ticket, topic: str) -> list[int]:
    """Who hears of the event by default: the requester of public updates, the new assignee, the SLA owner."""
    if topic == Topic.ASSIGNED:
        return [int(event.new_value)] if event.new_value != str(event.actor_id) else []
    if topic in (Topic.SLA_WARNING, Topic.SLA_BREACHED):
        # The engineer on it, else the manager of the group whose queue it waits in.
        owner = ticket.assignee_id or (ticket.assignment_group.manager_id if ticket.assignment_group else None)
        return [owner] if owner else []
    if not event.is_public or event.actor_id == ticket.requester_id:
        return []
    if event.kind == EventKind.STATE and not ticket.kind_info.state(event.new_value).notify_requester:
        return []  # work starting is no news to the requester
    return [ticket.requester_id]


def notify_event(*, ticket, event: TicketEvent) -> list[int]:
    """Notify the default recipients of one event (a practice writing its own events, like SLA, calls this)."""
    topic = topic_for(event, ticket)
    if topic is None:
        return []
    return notify(event, recipients_for(event, ticket, topic), topic)


def requester_updates_listener(*, ticket, events: list[TicketEvent]) -> None:
    """Change listener: the requester hears of public updates by others, an engineer of work assigned to them."""
    for event in events:
        # SLA levels are told by the SLA app, to the people its policy's actions name (not to a default owner).
        if event.kind != EventKind.SLA:
            notify_event(ticket=ticket, event=event)


# -- writing the outbox ------------------------------------------------------------------------------


def notify(event: TicketEvent, recipients: Iterable, topic: str) -> list[int]:
    """Write the outbox rows for `event` and queue their delivery after commit; returns the pending row ids.

    `recipients` are users or user ids. Each active recipient gets a row per channel their preferences
    enable for `topic`: email when they have an address, IM when an active webhook serves them. A row that
    already exists for (event, recipient, channel) is left alone, so calling this twice sends nothing twice.
    """
    return notify_many([(event, recipients, topic)])


def notify_many(messages: Iterable[tuple[TicketEvent, Iterable, str]]) -> list[int]:
    """`notify` for many events at once, in a fixed number of queries (the SLA sweep tells hundreds at a time)."""
    from .tasks import chunked, deliver_notifications

    wanted: list[tuple[TicketEvent, set[int], str]] = []
    for event, recipients, topic in messages:
        if topic not in Topic.values:
            raise ValueError(f"unknown notification topic {topic!r}")
        user_ids = {getattr(r, "pk", r) for r in recipients} - {None}
        if user_ids:
            wanted.append((event, user_ids, topic))
    if not wanted:
        return []
    everyone = set().union(*(user_ids for _event, user_ids, _topic in wanted))
    people = {
        person.pk: person
        for person in get_user_model()
        .objects.filter(pk__in=everyone, is_active=True)
        .select_related("notification_preference")
    }
    webhooks = webhooks_serving(everyone)
    rows = [
        row
        for event, user_ids, topic in wanted
        for row in _outbox_rows(event, topic, [people[pk] for pk in sorted(user_ids) if pk in people], webhooks)
    ]
    if not rows:
        return []
    # ignore_conflicts: a second producer of the same message adds nothing (the unique constraint decides).
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # PostgreSQL returns no ids for ignored conflicts: read back what is pending for these events and people.
    ids = list(
        Notification.objects.filter(
            event__in={row.event_id for row in rows},
            recipient_id__in={row.recipient_id for row in rows},
            channel__in={row.channel for row in rows},
            status=Notification.Status.PENDING,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for chunk in chunked(ids):
        # robust: the change is committed whatever the broker does; an unsent row stays pending in the outbox
        # instead of turning the user's successful request into an error (and each chunk gets its own try).
        # (a lambda, not functools.partial: Django logs a robust hook's failure by its __qualname__)
        transaction.on_commit(lambda chunk=chunk: deliver_notifications.delay(chunk), robust=True)
    return ids


def _outbox_rows(event: TicketEvent, topic: str, people, webhooks: dict) -> list[Notification]:
    rows = []
    for person in people:
        preference = preference_of(person)
        if person.email and topic in preference.email_topics:
            rows.append(Notification(event=event, recipient=person, channel=NotificationChannel.EMAIL, topic=topic))
        webhook = webhooks.get(person.pk)
        if webhook is not None and topic in preference.im_topics:
            rows.append(Notification(event=event, recipient=person, channel=webhook.kind, webhook=webhook, topic=topic))
    return rows


def webhooks_serving(user_ids: Iterable[int]) -> dict[int, IMWebhook]:
    """Each person's IM destination: their own active webhook, else the first of their active groups' (by name)."""
    user_ids = set(user_ids)
    serving: dict[int, IMWebhook] = {}
    for webhook in (
        IMWebhook.objects.filter(is_active=True, group__is_active=True, group__members__in=user_ids)
        .annotate(member_id=F("group__members"))
        .order_by("-group__name", "-pk")
    ):
        serving[webhook.member_id] = webhook  # sorted backwards: the first group by name is written last
    for webhook in IMWebhook.objects.filter(is_active=True, user_id__in=user_ids).order_by("-name", "-pk"):
        serving[webhook.user_id] = webhook
    return serving


def preference_of(user) -> NotificationPreference:
    """The user's saved choices, or the defaults (everything on, site language) when they saved none."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def save_preferences(*, user, email_topics, language: str, im_topics=None) -> NotificationPreference:
    """Keep what the user ticked; `im_topics=None` (no webhook serves them now) keeps their IM choices as they were."""
    defaults = {"email_topics": sorted(email_topics), "language": language}
    if im_topics is not None:
        defaults["im_topics"] = sorted(im_topics)
    preference, _created = NotificationPreference.objects.update_or_create(user=user, defaults=defaults)
    return preference


# -- delivery ----------------------------------------------------------------------------------------

# Tries per row before it is marked failed, and the wait after the n-th failure: 10 s, 20 s … capped at 10 min.
MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 600


def retry_delay(attempts: int) -> int:
    return min(MAX_BACKOFF_SECONDS, 10 * 2 ** max(0, attempts - 1))


class Delivery(NamedTuple):
    """What one delivery run did: sent, failed, skipped, or retry (after `retry_in` seconds)."""

    status: str
    retry_in: int | None = None


class DeliveryError(Exception):
    """The platform refused the message (an HTTP error or an errcode in its answer)."""


class PermanentFailure(Exception):
    """Trying again cannot help (no address, no webhook): the row is marked failed at once."""


# A retry queued by Celery fires at its countdown; a little slack for clocks of different workers.
_DUE_SLACK_SECONDS = 5


def deliver(notification_id: int) -> Delivery:
    """Send one pending outbox row; a second run finds it sent (or locked by another worker) and does nothing.

    The row stays locked while it is sent and is marked sent in the same transaction, so two workers never
    both send it. One gap remains: a crash after the platform accepted the message but before the commit
    leaves the row pending, and it is sent again (at-least-once). Email and chat platforms alike take no
    idempotency key (DingTalk, WeCom and Slack webhooks have none), so nothing on their side can drop the repeat;
    an email at least carries the row's own Message-ID, which some mail systems use to drop a duplicate.
    """
    with transaction.atomic():
        notification = _lock_pending(notification_id)
        if notification is None:
            return Delivery("skipped")
        now = timezone.now()
        if notification.next_attempt_at and (notification.next_attempt_at - now).total_seconds() > _DUE_SLACK_SECONDS:
            return Delivery("skipped")  # waiting out its backoff; the retry queued for that time sends it
        notification.attempts += 1
        try:
            # A savepoint: a database error while rendering leaves this transaction (and the row lock) usable.
            with transaction.atomic():
                _send(notification)
        except PermanentFailure as error:
            return _give_up(notification, str(error))
        except Exception as error:  # noqa: BLE001 - whatever went wrong is recorded on the row and retried
            if notification.attempts >= MAX_ATTEMPTS:
                return _give_up(notification, _describe(error))
            return _postpone(notification, _describe(error), now)
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["status", "attempts", "sent_at", "last_error"])
    return Delivery("sent")


def _lock_pending(notification_id: int) -> Notification | None:
    # of=("self",): PostgreSQL refuses to lock the nullable side of the outer joins (actor, comment, webhook).
    return (
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related(
            "event__ticket__assignment_group",
            "event__actor",
            "event__comment",
            "recipient__notification_preference",
            "webhook",
        )
        .filter(pk=notification_id, status=Notification.Status.PENDING)
        .first()
    )


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _give_up(notification: Notification, error: str) -> Delivery:
    notification.status = Notification.Status.FAILED
    notification.last_error = error
    notification.next_attempt_at = None
    notification.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    return Delivery("failed")


def _postpone(notification: Notification, error: str, now) -> Delivery:
    delay = retry_delay(notification.attempts)
    notification.last_error = error
    notification.next_attempt_at = now + timedelta(seconds=delay)
    notification.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    return Delivery("retry", delay)


def _send(notification: Notification) -> None:
    if notification.channel == NotificationChannel.EMAIL:
        if not notification.recipient.email:
            raise PermanentFailure("recipient has no email address")
        _send_email(notification)
        return
    webhook = notification.webhook
    if webhook is None or not webhook.is_active:
        raise PermanentFailure("the webhook was removed or switched off")
    title, text = render_im(notification)
    post_to_webhook(webhook, title, text)


def _send_email(notification: Notification) -> None:
    subject, body = render_email(notification)
    # A Message-ID of the row, not a random one: the repeat after a crash (see `deliver`) is the same message
    # to mail systems that drop duplicates.
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    headers = {"Message-ID": f"<notification-{notification.pk}@{domain}>"}
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email], headers=headers).send()


# -- the words ---------------------------------------------------------------------------------------

# A topic's template (notifications/<topic>.txt) fills blocks of one of these frames.
FRAMES = {
    "subject": "servicedesk/notifications/_subject.txt",
    "body": "servicedesk/notifications/_body.txt",
    "im": "servicedesk/notifications/_im.md",
}


def template_names(app_label: str, event_kind: str, topic: str, part: str) -> list[str]:
    """Templates to try, most specific first: the practice's own wording of its event kind, the topic's,
    and (email only, for rows without a topic) the core's generic update."""
    own = f"{app_label}/im/{event_kind}.md" if part == "im" else f"{app_label}/email/{event_kind}_{part}.txt"
    names = [own]
    if topic:
        names.append(f"servicedesk/notifications/{topic}.txt")
    if part != "im":
        names.append(f"servicedesk/email/update_{part}.txt")
    return names


def render_email(notification: Notification) -> tuple[str, str]:
    """Subject (one line) and plain-text body, in the recipient's language."""
    with translation.override(preference_of(notification.recipient).language):
        context = message_context(notification)
        subject = _render(notification, "subject", context)
        body = _render(notification, "body", context)
    return " ".join(subject.split()), _tidy(body) + "\n"


def render_im(notification: Notification) -> tuple[str, str]:
    """Title (the email subject) and a short Markdown text, in the recipient's language."""
    with translation.override(preference_of(notification.recipient).language):
        context = message_context(notification)
        title = _render(notification, "subject", context)
        text = _render(notification, "im", context)
    return " ".join(title.split()), _tidy(text)


def _render(notification: Notification, part: str, context: dict) -> str:
    event = notification.event
    app_label = event.ticket.kind_info.model_label.split(".")[0]
    names = template_names(app_label, event.kind, notification.topic, part)
    return render_to_string(names, {**context, "frame": FRAMES[part]})


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def message_context(notification: Notification) -> dict:
    """What the templates get; call inside the recipient's language (labels are translated here)."""
    event, recipient = notification.event, notification.recipient
    ticket = event.ticket
    for_requester = recipient.pk == ticket.requester_id
    in_desk = not for_requester and recipient.has_perm("servicedesk.access_desk")
    url_name = "servicedesk:desk_ticket" if in_desk else "servicedesk:portal_ticket"
    # The state the event reached (the ticket may have moved on by delivery); for other events, the current one.
    info = ticket.kind_info.state(event.new_value if event.kind == EventKind.STATE else ticket.state)
    state = str(info.public_label if for_requester else info.label)
    return {
        "event": event,
        "ticket": ticket,
        "recipient": recipient,
        "recipient_name": _name(recipient),
        "actor_name": _name(event.actor) if event.actor else _("The system"),
        "topic": notification.topic,
        "for_requester": for_requester,
        "in_desk": in_desk,
        "state": state,
        "site_url": settings.SITE_URL,
        "ticket_url": settings.SITE_URL + reverse(url_name, args=[ticket.number]),
        # A group's webhook is read by the whole team: the message says whom it is for.
        "for_group": notification.webhook is not None and notification.webhook.group_id is not None,
    }


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


# -- chat webhooks -----------------------------------------------------------------------------------


def post_to_webhook(webhook: IMWebhook, title: str, text: str) -> None:
    """POST the message in the platform's format; raise DeliveryError (or a requests error) unless accepted."""
    payload, params = PAYLOADS[webhook.kind](webhook, title, text)
    response = requests.post(
        webhook.url, json=payload, params=params, timeout=getattr(settings, "NOTIFICATION_WEBHOOK_TIMEOUT", 10)
    )
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:500]}")
    if webhook.kind in (IMWebhook.Kind.DINGTALK, IMWebhook.Kind.WECOM):
        # Both answer 200 to everything and put the verdict in the body: {"errcode": 0, "errmsg": "ok"}.
        try:
            answer = response.json()
        except ValueError:
            raise DeliveryError(f"not a JSON answer: {response.text[:500]}") from None
        if not isinstance(answer, dict) or answer.get("errcode") != 0:
            raise DeliveryError(f"refused: {response.text[:500]}")


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: base64(HMAC-SHA256(key=secret, message="<timestamp>\\n<secret>"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _dingtalk(webhook: IMWebhook, title: str, text: str) -> tuple[dict, dict]:
    params = {}
    if webhook.secret:
        # The robot rejects a timestamp more than an hour off, so it is taken at the moment of sending.
        timestamp = int(time.time() * 1000)
        params = {"timestamp": str(timestamp), "sign": dingtalk_signature(webhook.secret, timestamp)}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}, params


def _wecom(webhook: IMWebhook, title: str, text: str) -> tuple[dict, dict]:
    return {"msgtype": "markdown", "markdown": {"content": text}}, {}


def _slack(webhook: IMWebhook, title: str, text: str) -> tuple[dict, dict]:
    mrkdwn = slack_mrkdwn(text)[:3000]  # the limit of a section block's text
    return {"text": title, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}]}, {}


PAYLOADS = {IMWebhook.Kind.DINGTALK: _dingtalk, IMWebhook.Kind.WECOM: _wecom, IMWebhook.Kind.SLACK: _slack}


def slack_mrkdwn(markdown: str) -> str:
    """Our Markdown in Slack's dialect: &, < and > escaped, *bold*, <url|links>, headings as bold lines."""
    text = markdown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", r"<\2|\1>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    return re.sub(r"^#{1,6}\s*(.+)$", r"*\1*", text, flags=re.MULTILINE)
