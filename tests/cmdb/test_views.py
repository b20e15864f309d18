"""CMDB desk pages: the list by class with attribute filters, the CI page with relations, history, impact."""

import pytest
from django.urls import reverse

from cmdb import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def stack(make_ci, relate):
    """Email (service) depends on mail-app, which runs on srv01; srv01 connects to sw01."""
    cis = {
        "Email": make_ci("Email", "Business Service"),
        "mail-app": make_ci("mail-app", "Application"),
        "srv01": make_ci("srv01", attributes={"hostname": "srv01", "os": "Debian 12", "cpu_count": "8"}),
        "srv02": make_ci("srv02", attributes={"hostname": "srv02", "os": "Debian 11", "cpu_count": "4"}),
        "sw01": make_ci("sw01", "Switch"),
    }
    relate(cis["Email"], "depends on", cis["mail-app"])
    relate(cis["mail-app"], "runs on", cis["srv01"])
    relate(cis["srv01"], "connects to", cis["sw01"])
    return cis


def rows(response):
    return [ci.name for ci in response.context["page"].object_list]


def test_list_by_class_includes_subclasses(login, lin, stack, cls):
    response = login(lin).get(reverse("cmdb:ci_list"), {"class": cls["Server"].pk})
    assert rows(response) == ["srv01", "srv02"]
    assert b"cmdb-class-tree" in response.content
    assert b'name="attr_hostname"' in response.content  # filters built from the class's effective attributes


def test_attribute_filter_is_typed(login, lin, stack, cls):
    client = login(lin)
    url = reverse("cmdb:ci_list")
    assert rows(client.get(url, {"class": cls["Linux Server"].pk, "attr_os": "Debian 12"})) == ["srv01"]
    assert rows(client.get(url, {"class": cls["Server"].pk, "attr_cpu_count": "4"})) == ["srv02"]


def test_bad_attribute_value_shows_an_error_and_no_rows(login, lin, stack, cls):
    response = login(lin).get(reverse("cmdb:ci_list"), {"class": cls["Server"].pk, "attr_cpu_count": "many"})
    assert rows(response) == []
    assert "cpu_count" in response.context["errors"]
    assert b"is-invalid" in response.content


def test_status_environment_and_name_filters(login, lin, stack, carl):
    services.update_ci(actor=carl, ci=stack["srv02"], status="retired", environment="test")
    client, url = login(lin), reverse("cmdb:ci_list")
    assert rows(client.get(url, {"status": "retired"})) == ["srv02"]
    assert rows(client.get(url, {"environment": "test"})) == ["srv02"]
    assert rows(client.get(url, {"q": "MAIL-"})) == ["mail-app"]


def test_detail_shows_attributes_relations_history_and_impact(login, lin, stack, carl):
    services.update_ci(actor=carl, ci=stack["srv01"], attributes={"os": "Debian 13"})
    response = login(lin).get(reverse("cmdb:ci_detail", args=[stack["srv01"].pk]))
    html = response.content.decode()
    assert "Operating system" in html and "Debian 13" in html  # labels, not keys
    assert 'class="ci-relation-out"' in html and "connects to" in html and "sw01" in html
    assert 'class="ci-relation-in"' in html and "runs" in html and "mail-app" in html  # reverse name
    assert "Operating system" in html and carl.get_full_name() in html  # history
    upstream = {hit.ci.name: hit.depth for hit in response.context["upstream"].hits}
    assert upstream == {"mail-app": 1, "Email": 2}
    assert [hit.ci.name for hit in response.context["downstream"].hits] == ["sw01"]
    assert "<svg" in html and 'class="cmdb-node cmdb-service"' in html
    assert html.count('class="cmdb-edge"') == 3


def test_depth_limits_the_impact_and_htmx_gets_the_fragment(login, lin, stack):
    client = login(lin)
    url = reverse("cmdb:ci_detail", args=[stack["srv01"].pk])
    response = client.get(url, {"depth": "1"})
    assert [hit.ci.name for hit in response.context["upstream"].hits] == ["mail-app"]
    fragment = client.get(url, {"depth": "2"}, HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div class="card shadow-sm mb-3" id="ci-impact">')
    assert "Email" in fragment.content.decode()
    assert client.get(url, {"depth": "99"}).context["depth"] == 3


def test_svg_escapes_names(login, lin, make_ci, relate):
    srv = make_ci("srv01")
    app = make_ci('<script>alert("x")</script>', "Application")
    relate(app, "runs on", srv)
    html = login(lin).get(reverse("cmdb:ci_detail", args=[srv.pk])).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def _make_many(make_ci, relate, n):
    hub = make_ci("hub", "Linux Server", attributes={"os": "Debian 12"})
    for i in range(n):
        app = make_ci(f"app{i:03}", "Application")
        relate(app, "runs on", hub)
        make_ci(f"srv{i:03}", "Linux Server", attributes={"os": "Debian 12"})
    return hub


# The same count with 5 and with 30 rows (measured: 10 for the list, 25 for the CI page with its incident and request
# sections; the impact walk costs a query per level it reaches, so the CI page's count follows the depth, not the rows).
@pytest.mark.parametrize("n", [5, 30])
def test_list_queries_are_constant(login, lin, make_ci, relate, cls, n, django_assert_max_num_queries):
    _make_many(make_ci, relate, n)
    client = login(lin)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("cmdb:ci_list"), {"class": cls["Server"].pk, "attr_os": "Debian 12"})
    assert len(response.context["page"].object_list) == min(n + 1, 25)


@pytest.mark.parametrize("n", [5, 30])
def test_detail_queries_are_constant(login, lin, make_ci, relate, n, django_assert_max_num_queries, alice):
    hub = _make_many(make_ci, relate, n)
    client = login(lin)
    # Each impact side: its levels, the business services, the parents of the CIs listed, CIs, classes, types.
    # Ticket sections: the viewer's support groups (desk scope, once), incidents open + recent, requests open + recent.
    with django_assert_max_num_queries(25):
        response = client.get(reverse("cmdb:ci_detail", args=[hub.pk]))
    assert len(response.context["upstream"].hits) == n
