"""Who gets which notification where: topics, preferences, IM only when a webhook serves, the language, the page."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from incidents import escalation
from incidents import services as incident_services
from servicedesk import notifications, services
from servicedesk.choices import EventKind
from servicedesk.models import (
    IMWebhook,
    Notification,
    NotificationPreference,
    NotificationTopic,
    TicketEvent,
)
from servicedesk.tasks import deliver_notification
from tests.factories import UserFactory, messages_of

PAGE = reverse("servicedesk:portal_notification_preferences")
ALL = NotificationTopic.values


def _rows(ticket, **filters):
    rows = Notification.objects.filter(event__ticket=ticket, **filters).order_by("recipient", "channel")
    return [(row.recipient.username, row.channel, row.topic) for row in rows]


def _prefer(user, *, email=ALL, im=ALL, language="en"):
    return NotificationPreference.objects.create(user=user, email_topics=email, im_topics=im, language=language)


def _hook(**serves):
    return IMWebhook.objects.create(name="Desk robot", kind="wecom", url="http://127.0.0.1:9/send", **serves)


# -- topics: which event is which, and who hears of it by default ------------------------------------------


def test_a_hold_and_a_reply_are_state_changed_and_commented(in_progress_incident, lin):
    incident_services.put_on_hold(incident=in_progress_incident, actor=lin, reason="awaiting_caller", note="Call me")
    services.add_comment(ticket=in_progress_incident, author=lin, body="Please try again.")

    assert sorted(_rows(in_progress_incident)) == [
        ("alice", "email", NotificationTopic.COMMENTED),
        ("alice", "email", NotificationTopic.STATE_CHANGED),
    ]


def test_a_resolution_is_its_own_topic(in_progress_incident, lin):
    incident_services.resolve_incident(incident=in_progress_incident, actor=lin, code="permanent", notes="Done")

    assert _rows(in_progress_incident) == [("alice", "email", NotificationTopic.RESOLVED)]


def test_assigning_someone_else_tells_the_new_assignee(incident, mona, lin, service_desk):
    services.assign_ticket(ticket=incident, actor=mona, group=service_desk, assignee=lin)

    assert _rows(incident) == [("lin", "email", NotificationTopic.ASSIGNED)]


def test_taking_a_ticket_yourself_tells_nobody(incident, lin):
    incident_services.take_incident(incident=incident, actor=lin)

    assert _rows(incident, topic=NotificationTopic.ASSIGNED) == []


def test_unassigning_tells_nobody(in_progress_incident, mona, service_desk):
    services.assign_ticket(ticket=in_progress_incident, actor=mona, group=service_desk, assignee=None)

    assert _rows(in_progress_incident, topic=NotificationTopic.ASSIGNED) == []


@pytest.mark.parametrize(("field", "topic"), [("warning", "sla_warning"), ("breach", "sla_breached")])
def test_sla_events_go_to_the_assignee(in_progress_incident, lin, field, topic):
    event = TicketEvent.objects.create(
        ticket=in_progress_incident, kind=EventKind.SLA, field=field, new_display="Resolution target at 75%"
    )

    assert notifications.topic_for(event, in_progress_incident) == topic
    notifications.notify_event(ticket=in_progress_incident, event=event)

    assert _rows(in_progress_incident, event=event) == [("lin", "email", topic)]


def test_an_sla_event_of_an_unassigned_ticket_goes_to_the_group_manager(incident, mona):
    event = TicketEvent.objects.create(ticket=incident, kind=EventKind.SLA, field="breach", new_display="Late")

    notifications.notify_event(ticket=incident, event=event)

    assert _rows(incident, event=event) == [("mona", "email", NotificationTopic.SLA_BREACHED)]


def test_events_without_a_topic(incident):
    for kind, field in [(EventKind.WORK_NOTE, ""), (EventKind.FIELD, "priority"), (EventKind.SLA, "paused")]:
        assert notifications.topic_for(TicketEvent(kind=kind, field=field), incident) is None


# -- notify(): the one way into the outbox ----------------------------------------------------------------


@pytest.fixture
def created(incident):
    return incident.events.get(kind=EventKind.CREATED)


def test_notify_takes_users_or_ids_and_writes_once(created, alice, lin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = notifications.notify(created, [alice, lin.pk, None], "approval_needed")
        again = notifications.notify(created, [alice.pk, lin], "approval_needed")

    assert len(first) == 2 and sorted(again) == sorted(first)
    assert Notification.objects.filter(event=created).count() == 2
    # One chunk queued per call, both with the two rows: the second delivery finds them sent and does nothing.
    assert len(callbacks) == 2


def test_notify_queues_delivery_after_commit(created, alice, sent_tasks):
    with TestCase.captureOnCommitCallbacks(execute=True):
        ids = notifications.notify(created, [alice], "approval_needed")

    assert sent_tasks == ids


def test_notify_refuses_an_unknown_topic(created, alice):
    with pytest.raises(ValueError, match="unknown notification topic"):
        notifications.notify(created, [alice], "gossip")


def test_nobody_without_an_address_or_inactive_gets_an_email(created, alice, bob):
    alice.email = ""
    alice.save()
    bob.is_active = False
    bob.save()

    assert notifications.notify(created, [alice, bob], "commented") == []


def test_a_topic_switched_off_writes_no_row(created, alice):
    _prefer(alice, email=["resolved"])

    assert notifications.notify(created, [alice], "commented") == []
    assert len(notifications.notify(created, [alice], "resolved")) == 1


def test_a_reply_to_someone_who_turned_replies_off(incident, alice, lin):
    _prefer(alice, email=[t for t in ALL if t != "commented"])

    services.add_comment(ticket=incident, author=lin, body="Please restart.")

    assert _rows(incident) == []


def test_im_only_when_a_webhook_serves_the_person(created, alice, lin, service_desk):
    _prefer(lin, email=[], im=ALL)
    assert notifications.notify(created, [lin], "assigned") == []  # IM wanted, but nothing serves lin

    _hook(group=service_desk)
    assert len(notifications.notify(created, [lin], "assigned")) == 1
    assert _rows(created.ticket) == [("lin", "wecom", "assigned")]


def test_im_is_on_by_default_when_a_webhook_serves(created, lin, service_desk):
    _hook(group=service_desk)

    notifications.notify(created, [lin], "assigned")

    assert _rows(created.ticket) == [("lin", "email", "assigned"), ("lin", "wecom", "assigned")]


def test_a_switched_off_webhook_or_group_serves_nobody(created, lin, service_desk):
    hook = _hook(group=service_desk, is_active=False)
    assert notifications.webhooks_serving([lin.pk]) == {}
    hook.is_active = True
    hook.save()
    service_desk.is_active = False
    service_desk.save()
    assert notifications.webhooks_serving([lin.pk]) == {}


def test_the_im_topic_can_be_off_while_email_is_on(created, lin, service_desk):
    _hook(group=service_desk)
    _prefer(lin, im=["sla_breached"])

    notifications.notify(created, [lin], "assigned")

    assert _rows(created.ticket) == [("lin", "email", "assigned")]


def test_a_persons_first_group_by_name_serves_them(lin, service_desk, network_team):
    network_team.members.add(lin)
    _hook(group=service_desk)
    first = IMWebhook.objects.create(name="Net", kind="slack", url="http://127.0.0.1:9/", group=network_team)

    assert notifications.webhooks_serving([lin.pk]) == {lin.pk: first}  # "Network Operations" < "Service Desk"


# -- the recipient's language -------------------------------------------------------------------------


@pytest.fixture
def compiled_catalogue():
    """The .mo is git-ignored: compile it as the bootstrap does, and make Django reload its catalogues."""
    call_command("compile_translations", stdout=io.StringIO())
    trans_real._translations = {}
    trans_real._default = None
    yield
    translation.deactivate()


def test_a_chinese_speaker_gets_a_chinese_email(in_progress_incident, lin, alice, mailoutbox, compiled_catalogue):
    _prefer(alice, language="zh-hans")
    incident_services.resolve_incident(incident=in_progress_incident, actor=lin, code="permanent", notes="Done")

    deliver_notification.run(Notification.objects.get(recipient=alice).pk)

    (email,) = mailoutbox
    assert "已解决：请确认" in email.subject  # the state's label, translated
    assert "您的工单当前状态：已解决：请确认" in email.body
    assert "服务台" in email.body
    assert translation.get_language() != "zh-hans"  # only the message was written in Chinese


def test_others_keep_the_site_language(in_progress_incident, lin, mailoutbox, compiled_catalogue):
    incident_services.resolve_incident(incident=in_progress_incident, actor=lin, code="permanent", notes="Done")

    with translation.override("zh-hans"):  # whatever language the worker happens to run in
        deliver_notification.run(Notification.objects.get().pk)

    assert "Solved: please confirm" in mailoutbox[0].subject


def test_an_escalation_is_written_in_the_managers_language(incident, lin, mona, mailoutbox, compiled_catalogue):
    _prefer(mona, language="zh-hans")
    escalation.escalate_to_manager(incident=incident, actor=lin, reason="客户是 CEO")

    deliver_notification.run(Notification.objects.get(recipient=mona, topic="escalated").pk)

    (email,) = mailoutbox
    assert email.subject.startswith(f"[{incident.number}] Cannot connect to the Wi-Fi (")
    assert "原因： 客户是 CEO" in email.body  # who asked and why, in the frame's Chinese words
    assert lin.get_full_name() in email.body and incident.number in email.body
    assert "优先级" in email.body and "服务台" in email.body
    assert f"/desk/tickets/{incident.number}/" in email.body
    assert translation.get_language() != "zh-hans"


# -- the page --------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_page_shows_the_defaults_without_an_im_column(login, alice):
    response = login(alice).get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('name="email_topics"') == len(ALL)
    assert html.count('name="email_topics"') == html.count("checked")
    assert 'name="im_topics"' not in html
    assert 'id="nav-notifications"' in html  # the link in the user menu


def test_the_page_offers_im_when_a_webhook_serves(login, lin, service_desk):
    _hook(group=service_desk)

    html = login(lin).get(PAGE).content.decode()

    assert html.count('name="im_topics"') == len(ALL)
    assert "Desk robot" in html


def test_the_page_offers_escalations_by_email_and_chat(login, mona, service_desk):
    _hook(user=mona)

    html = login(mona).get(PAGE).content.decode()

    assert "Escalated to me" in html
    assert 'name="email_topics" value="escalated"' in html and 'name="im_topics" value="escalated"' in html


def test_saving_escalations_off(login, mona):
    login(mona).post(PAGE, {"email_topics": ["assigned"], "language": "en"})

    assert "escalated" not in NotificationPreference.objects.get(user=mona).email_topics


def test_saving_the_choices(login, alice):
    response = login(alice).post(PAGE, {"email_topics": ["resolved", "commented"], "language": "zh-hans"})

    assert response.status_code == 302 and response["Location"] == PAGE
    assert messages_of(response) == ["Your notification settings were saved."]
    preference = NotificationPreference.objects.get(user=alice)
    assert (preference.email_topics, preference.language) == (["commented", "resolved"], "zh-hans")
    assert preference.im_topics == ALL  # no webhook serves alice: her IM choices stay as they were


def test_saving_im_choices(login, lin, service_desk):
    _hook(group=service_desk)

    login(lin).post(PAGE, {"email_topics": [], "im_topics": ["assigned"], "language": "en"})

    preference = NotificationPreference.objects.get(user=lin)
    assert (preference.email_topics, preference.im_topics) == ([], ["assigned"])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email_topics": ["gossip"], "language": "en"}, "email_topics"),
        ({"email_topics": ["resolved"], "language": "klingon"}, "language"),
        ({}, "language"),
    ],
)
def test_a_bad_post_shows_field_errors_and_saves_nothing(login, alice, data, field):
    response = login(alice).post(PAGE, data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_nobody_can_change_someone_elses_choices(login, alice, bob):
    _prefer(bob, email=ALL)

    login(alice).post(PAGE, {"email_topics": [], "language": "en", "user": bob.pk, "user_id": bob.pk})

    assert NotificationPreference.objects.get(user=bob).email_topics == ALL
    assert NotificationPreference.objects.get(user=alice).email_topics == []


def test_the_page_answers_only_get_and_post(login, alice):
    assert login(alice).put(PAGE).status_code == 405


def test_saving_twice_keeps_one_row(alice):
    notifications.save_preferences(user=alice, email_topics=["resolved"], language="en")
    notifications.save_preferences(user=alice, email_topics=["assigned"], im_topics=[], language="en")

    preference = NotificationPreference.objects.get(user=alice)
    assert (preference.email_topics, preference.im_topics) == (["assigned"], [])


def test_a_new_person_has_the_defaults(db, settings):
    person = UserFactory(username="newcomer")

    preference = notifications.preference_of(person)

    assert (preference.email_topics, preference.im_topics, preference.language) == (ALL, ALL, settings.LANGUAGE_CODE)
    assert preference.pk is None


# -- choices saved before a topic existed -------------------------------------------------------------------

ESCALATED_MIGRATION = importlib.import_module("servicedesk.migrations.0011_escalated_topic")
BEFORE = [t for t in ALL if t != "escalated"]


def test_choices_saved_before_escalations_existed_get_them(alice, bob, lin, mona):
    _prefer(alice, email=BEFORE, im=BEFORE)
    _prefer(bob, email=["resolved"], im=[])  # chat switched off altogether stays off
    _prefer(lin, email=ALL, im=["assigned"])  # already there: not twice
    _prefer(mona, email=[], im=["escalated"])

    ESCALATED_MIGRATION.add_escalated_to_saved_choices(apps, None)

    saved = {p.user.username: (p.email_topics, p.im_topics) for p in NotificationPreference.objects.all()}
    assert saved == {
        "alice": ([*BEFORE, "escalated"], [*BEFORE, "escalated"]),
        "bob": (["resolved", "escalated"], []),
        "lin": (ALL, ["assigned", "escalated"]),
        "mona": (["escalated"], ["escalated"]),
    }


def test_an_escalation_reaches_someone_who_saved_choices_before(incident, lin, mona):
    _prefer(mona, email=BEFORE, im=BEFORE)
    ESCALATED_MIGRATION.add_escalated_to_saved_choices(apps, None)

    escalation.escalate_to_manager(incident=incident, actor=lin, reason="Customer is the CEO")

    assert _rows(incident, topic="escalated") == [("mona", "email", "escalated")]


def test_undoing_the_migration_takes_the_topic_out(alice):
    _prefer(alice, email=ALL, im=["escalated", "assigned"])

    ESCALATED_MIGRATION.remove_escalated_from_saved_choices(apps, None)

    preference = NotificationPreference.objects.get(user=alice)
    assert (preference.email_topics, preference.im_topics) == (BEFORE, ["assigned"])
