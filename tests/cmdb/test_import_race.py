"""An import and another writer giving out the same identifier at the same time: never two CIs with one hostname.

The import plans against the CMDB it loaded at its start; before each batch is written it locks the batch's
identifiers the way ``services`` do and looks them up again.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cmdb import imports, services
from cmdb.imports import write
from cmdb.imports.catalog import Catalog
from cmdb.models import CIClass, CIHistory, ConfigurationItem

HEADER = "class,name,hostname\n"


def test_an_identifier_taken_after_the_import_loaded_the_cmdb_is_a_row_error(db, carl, cls, monkeypatch):
    original = Catalog.load_cis

    def load_then_someone_saves(self):
        original(self)
        # Another CMDB Manager saves srv-b's hostname under another name once the import has read the CMDB.
        services.create_ci(actor=carl, ci_class=cls["Linux Server"], name="other", attributes={"hostname": "srv-b"})

    monkeypatch.setattr(Catalog, "load_cis", load_then_someone_saves)
    report = imports.import_cis(HEADER + "Linux Server,srv-a,srv-a\nLinux Server,srv-b,srv-b\n", actor=carl)

    assert report.counts == {"created": 1, "updated": 0, "unchanged": 0, "error": 1}
    [error] = [r for r in report.rows if r.action == "error"]
    assert error.line == 3 and "while the import ran" in error.errors["hostname"][0]
    assert ConfigurationItem.objects.filter(attributes__contains={"hostname": "srv-b"}).count() == 1
    assert not ConfigurationItem.objects.filter(name="srv-b").exists()
    assert not CIHistory.objects.filter(ci__name="srv-b").exists()


@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_for_the_batch_that_holds_its_identifier_and_then_is_refused(monkeypatch):
    """Threads on two connections: the import holds the hostname's lock while it writes; the admin's save waits,
    then finds the imported CI and refuses the same hostname."""
    from servicedesk import roles
    from tests.factories import UserFactory

    carl = UserFactory(username="carl", roles=[roles.CMDB_MANAGER])
    server = CIClass.objects.get_or_create(name="Race Server", defaults={"kind": "server"})[0]
    server.attribute_definitions.get_or_create(key="hostname", defaults={"label": "Host name", "is_identifier": True})
    checked, release = threading.Event(), threading.Event()
    original = write._taken_meanwhile

    def check_then_pause(planned, planner):
        clashes = original(planned, planner)
        checked.set()  # the locks are held from here until the batch commits
        assert release.wait(10)
        return clashes

    monkeypatch.setattr(write, "_taken_meanwhile", check_then_pause)
    outcome = {}

    def other_writer():
        try:
            assert checked.wait(10)
            timer = threading.Timer(0.5, release.set)  # let the import go on only while this writer waits
            timer.start()
            services.create_ci(actor=carl, ci_class=server, name="manual", attributes={"hostname": "h1"})
            outcome["result"] = "created"
        except ValidationError as error:
            outcome["result"] = error.message_dict
        finally:
            connection.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    report = imports.import_cis(HEADER + "Race Server,imported,h1\n", actor=carl)
    thread.join(15)

    assert report.counts["created"] == 1
    assert "hostname" in outcome["result"] and "already used by imported" in outcome["result"]["hostname"][0]
    assert ConfigurationItem.objects.filter(attributes__contains={"hostname": "h1"}).count() == 1
