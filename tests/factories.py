"""factory-boy factories; tickets are made through the services, as the product makes them."""

import functools
import threading
from pathlib import Path

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from incidents.services import report_incident
from servicedesk.models import AssignmentGroup, Attachment, Comment, Notification, Ticket, TicketEvent
from servicedesk.roles import ALL_ROLES

PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a known password and the given role names (auth groups made by the data migration)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # Hashed once per test session: a fresh PBKDF2 hash for every user would cost most of the suite's time.
    password = factory.LazyFunction(_password_hash)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            unknown = set(extracted) - set(ALL_ROLES)
            assert not unknown, f"unknown roles {unknown}"
            # get_or_create: a transactional test's flush also empties the roles the data migration made.
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))
        if create:
            self.save()


class AssignmentGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssignmentGroup
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Group {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


# Impact and urgency that the default matrix turns into each priority.
PRIORITY_CELLS = {1: (1, 1), 2: (1, 2), 3: (2, 2), 4: (2, 3), 5: (3, 3)}


def report(user, **fields):
    """An incident reported by `user` through the service, as the portal does.

    `priority=` picks the impact and urgency that give it through the default matrix.
    """
    fields.setdefault("title", "Printer prints blank pages")
    if "priority" in fields:
        fields["impact"], fields["urgency"] = PRIORITY_CELLS[int(fields.pop("priority"))]
    return report_incident(actor=user, **fields)


# -- uploads -----------------------------------------------------------------------------------------

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
# The first bytes of a Windows program: refused whatever extension it is renamed to.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def upload(name="screenshot.png", content=PNG_BYTES, content_type="application/octet-stream"):
    """A file as a browser uploads it."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(media_root) -> list[str]:
    """Every file under MEDIA_ROOT (relative paths): an upload that was refused must leave none."""
    root = Path(media_root)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


# -- "nothing changed" -------------------------------------------------------------------------------


def ticket_state(ticket) -> dict:
    """Everything a refused action must leave as it was, read fresh from the database."""
    row = Ticket.objects.get(pk=ticket.pk)
    return {
        "state": row.state,
        "version": row.version,
        "is_open": row.is_open,
        "assignment_group_id": row.assignment_group_id,
        "assignee_id": row.assignee_id,
        "updated_at": row.updated_at,
        "events": TicketEvent.objects.filter(ticket_id=row.pk).count(),
        "comments": Comment.objects.filter(ticket_id=row.pk).count(),
        "attachments": Attachment.objects.filter(ticket_id=row.pk).count(),
        "notifications": Notification.objects.filter(event__ticket_id=row.pk).count(),
    }


def messages_of(response) -> list[str]:
    """The flash messages a view added (works on the redirect itself, without following it)."""
    return [str(message) for message in get_messages(response.wsgi_request)]


# -- threads -----------------------------------------------------------------------------------------


def in_threads(*calls, timeout: float = 60) -> list:
    """Run each call in its own thread, all released at once; return each result (or the exception raised).

    Each thread has its own database connection, closed when it ends so the test database can be dropped.
    Needs a transactional test: the threads only see committed rows.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - handed back to the test to assert on
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results
