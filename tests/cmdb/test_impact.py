"""Impact analysis: upstream and downstream walks, the depth limit, cycles, and the business services hit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb.selectors import impact, impacted_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def stack(make_ci, relate):
    """Email (service) depends on mail-app, which runs on srv01 (connects to sw01); ERP depends on Email."""
    cis = {
        "Email": make_ci("Email", "Business Service"),
        "ERP": make_ci("ERP", "Business Service"),
        "mail-app": make_ci("mail-app", "Application"),
        "mail-db": make_ci("mail-db", "Database"),
        "srv01": make_ci("srv01"),
        "sw01": make_ci("sw01", "Switch"),
    }
    relate(cis["Email"], "depends on", cis["mail-app"])
    relate(cis["ERP"], "depends on", cis["Email"])
    relate(cis["mail-app"], "runs on", cis["srv01"])
    relate(cis["mail-app"], "depends on", cis["mail-db"])
    relate(cis["mail-db"], "runs on", cis["srv01"])
    relate(cis["srv01"], "connects to", cis["sw01"])
    return cis


def names(hits):
    return {hit.ci.name: hit.depth for hit in hits}


def test_upstream_finds_what_depends_on_a_ci_at_its_shortest_depth(stack):
    hits = impact(stack["srv01"], direction="upstream")
    assert names(hits) == {"mail-app": 1, "mail-db": 1, "Email": 2, "ERP": 3}
    erp = next(h for h in hits if h.ci.name == "ERP")
    assert [(step.relation_type.name, step.ci.name) for step in erp.path] == [
        ("runs on", "mail-app"),
        ("depends on", "Email"),
        ("depends on", "ERP"),
    ]
    assert [h.depth for h in hits] == sorted(h.depth for h in hits)


def test_downstream_finds_what_a_ci_depends_on(stack):
    assert names(impact(stack["Email"], direction="downstream")) == {"mail-app": 1, "mail-db": 2, "srv01": 2, "sw01": 3}
    assert names(impact(stack["sw01"], direction="downstream")) == {}


def test_depth_limit(stack):
    assert names(impact(stack["srv01"], depth=1)) == {"mail-app": 1, "mail-db": 1}
    assert names(impact(stack["srv01"], depth=2)) == {"mail-app": 1, "mail-db": 1, "Email": 2}
    assert impact(stack["srv01"], depth=0) == []


def test_relation_type_filter(stack, rel):
    assert names(impact(stack["srv01"], relation_types=[rel["runs on"]])) == {"mail-app": 1, "mail-db": 1}


def test_cycles_terminate_and_return_each_ci_once(make_ci, relate):
    a, b, c = (make_ci(n, "Application") for n in "ABC")
    relate(a, "depends on", b)
    relate(b, "depends on", c)
    relate(c, "depends on", a)
    relate(a, "part of", c)
    down = impact(a, direction="downstream", depth=10)
    assert names(down) == {"B": 1, "C": 1}
    up = impact(a, direction="upstream", depth=10)
    assert names(up) == {"C": 1, "B": 2}
    assert len({h.ci.pk for h in up}) == len(up)


def test_impacted_services(stack):
    assert names(impacted_services(stack["sw01"])) == {"Email": 3, "ERP": 4}
    assert names(impacted_services(stack["sw01"], depth=3)) == {"Email": 3}


def test_impact_costs_a_fixed_number_of_queries(stack, make_ci, relate):
    with CaptureQueriesContext(connection) as small:
        impact(stack["srv01"])
    for n in range(10):
        relate(make_ci(f"extra{n}", "Application"), "runs on", stack["srv01"])
    with CaptureQueriesContext(connection) as big:
        assert len(impact(stack["srv01"])) == 14
    # One query per level the walk reaches (srv01's upstream is 3 levels deep, and a 4th finds nothing), then
    # the CIs, classes and relation types: more rows, not more queries.
    assert len(small) == len(big) == 4 + 3


def test_each_ci_is_expanded_once_however_many_relations_reach_it(make_ci, relate):
    """A diamond repeated: every level reached through many relations still costs one query per level."""
    top = make_ci("top", "Linux Server")
    layer = [top]
    for level in range(4):
        nxt = [make_ci(f"n{level}-{i}", "Application") for i in range(4)]
        for upper in nxt:
            for lower in layer:
                relate(upper, "depends on", lower)
        layer = nxt
    with CaptureQueriesContext(connection) as captured:
        hits = impact(top, depth=5)
    assert len(hits) == 16 and len({hit.ci.pk for hit in hits}) == 16
    assert sorted({hit.depth for hit in hits}) == [1, 2, 3, 4]
    assert all(len(hit.path) == hit.depth for hit in hits)
    assert len(captured) == 5 + 3  # four levels found, a fifth query finds nothing more
