"""Who reads the CMDB desk pages: anonymous users sign in, end users get 403, engineers read, managers edit."""

import pytest
from django.urls import reverse

from cmdb.access import READER_ROLES
from cmdb.rules import MANAGING_ROLES
from servicedesk import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def srv(make_ci):
    return make_ci("srv01")


@pytest.fixture(params=["list", "detail"])
def url(request, srv):
    return reverse("cmdb:ci_list") if request.param == "list" else reverse("cmdb:ci_detail", args=[srv.pk])


def test_role_names_agree_with_servicedesk():
    assert roles.DESK_ROLES | {roles.CHANGE_MANAGER, *MANAGING_ROLES} == READER_ROLES
    assert roles.CMDB_MANAGER in READER_ROLES


def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_end_user_gets_403(login, alice, url):
    assert login(alice).get(url).status_code == 403


@pytest.mark.parametrize("role", [roles.AGENT_L1, roles.AGENT_L2, roles.SERVICE_DESK_MANAGER, roles.CHANGE_MANAGER])
def test_engineers_read_without_edit_link(login, role, url):
    response = login(UserFactory(roles=[role])).get(url)
    assert response.status_code == 200
    assert b'id="ci-edit"' not in response.content


def test_cmdb_manager_reads_and_sees_edit_link(login, carl, srv):
    response = login(carl).get(reverse("cmdb:ci_detail", args=[srv.pk]))
    assert response.status_code == 200
    assert reverse("admin:cmdb_configurationitem_change", args=[srv.pk]).encode() in response.content


def test_nav_link_only_for_readers(login, alice, lin):
    assert b'id="nav-cmdb"' in login(lin).get(reverse("servicedesk:desk_queue")).content
    assert b'id="nav-cmdb"' not in login(alice).get(reverse("servicedesk:portal_home")).content


def test_unknown_ci_is_404(login, lin):
    assert login(lin).get(reverse("cmdb:ci_detail", args=[999999])).status_code == 404


def test_post_is_refused(login, lin, srv):
    assert login(lin).post(reverse("cmdb:ci_detail", args=[srv.pk])).status_code == 405
