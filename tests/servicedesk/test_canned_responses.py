"""Canned responses: who is offered which, safe placeholder filling, the desk endpoint and the admin screen."""

import pytest
from django.urls import reverse

from servicedesk import selectors
from servicedesk.canned import fill_placeholders, placeholder_values, render_canned_response
from servicedesk.models import CannedResponse
from tests.factories import UserFactory, report


@pytest.fixture
def responses(lin, lee, service_desk, network_team):
    """One response of each audience: shared, lin's own, lee's own, per group, and an inactive one."""
    make = CannedResponse.objects.create
    return {
        "shared": make(title="Shared", body="Hello {requester}, this is {agent} about {number}."),
        "lins": make(title="Lin's", body="Lin's own", owner=lin),
        "lees": make(title="Lee's", body="Lee's own", owner=lee),
        "desk": make(title="Desk group", body="From {group}", group=service_desk),
        "network": make(title="Network group", body="From {group}", group=network_team),
        "lins_desk": make(title="Lin's for the desk", body="x", owner=lin, group=service_desk),
        "off": make(title="Retired", body="x", is_active=False),
    }


def _url(ticket, response):
    return reverse("servicedesk:desk_canned_response", args=[ticket.number, response.pk])


# -- placeholders ------------------------------------------------------------------------------------

VALUES = {"number": "INC0000007", "title": "Wi-Fi", "requester": "Alice A", "agent": "Lin L", "group": "Desk"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{number}: {title}", "INC0000007: Wi-Fi"),
        ("Dear {requester},\n{agent} ({group})", "Dear Alice A,\nLin L (Desk)"),
        ("{unknown} stays", "{unknown} stays"),
        ("{requester.password} {requester.__class__} {number!r} {number:>20}", None),
        ("{0} {} {{number}} %(number)s ${number", None),
        ("{NUMBER} { number }", None),
    ],
    ids=["basic", "all", "unknown", "attribute-and-format-spec", "other-syntaxes", "case-and-spaces"],
)
def test_only_known_bare_placeholders_are_filled(text, expected):
    assert fill_placeholders(text, VALUES) == (text if expected is None else expected)


def test_a_value_is_never_expanded_again():
    """A title that itself reads "{agent}" comes out as written."""
    assert fill_placeholders("{title}", {**VALUES, "title": "{agent} {{number}}"}) == "{agent} {{number}}"


def test_placeholder_values_of_a_ticket(incident, lin):
    incident.requester.first_name, incident.requester.last_name = "Alice", "Archer"

    values = placeholder_values(incident, lin)

    assert values == {
        "number": incident.number,
        "title": "Cannot connect to the Wi-Fi",
        "requester": "Alice Archer",
        "agent": lin.get_full_name(),
        "group": "Service Desk",
    }


def test_names_fall_back_to_the_username_and_no_group_to_nothing(incident, service_desk):
    nameless = UserFactory(username="nameless", first_name="", last_name="")
    incident.assignment_group = None

    values = placeholder_values(incident, nameless)

    assert (values["agent"], values["group"]) == ("nameless", "")


def test_render_fills_a_response_for_a_ticket(incident, lin, responses):
    text = render_canned_response(responses["shared"], ticket=incident, agent=lin)

    assert text == f"Hello {incident.requester.get_full_name()}, this is {lin.get_full_name()} about {incident.number}."


# -- who is offered which ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("lin", ["Desk group", "Lin's", "Lin's for the desk", "Shared"]),
        ("lee", ["Lee's", "Network group", "Shared"]),
        ("mona", ["Shared"]),  # the manager is in no group
    ],
)
def test_offered_shared_mine_and_my_groups(request, responses, who, expected):
    user = request.getfixturevalue(who)

    assert [r.title for r in selectors.canned_responses_for(user)] == expected


def test_the_comment_form_offers_my_responses(login, lin, incident, responses):
    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()

    assert 'id="canned-response"' in html
    for name in ("shared", "lins", "desk", "lins_desk"):
        assert f'value="{_url(incident, responses[name])}"' in html
    for name in ("lees", "network", "off"):
        assert _url(incident, responses[name]) not in html


def test_no_select_without_any_response(login, lin, incident):
    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()

    assert 'id="canned-response"' not in html


# -- the endpoint ------------------------------------------------------------------------------------


def test_the_endpoint_returns_the_filled_text_as_plain_text(login, lin, incident, responses):
    response = login(lin).get(_url(incident, responses["shared"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.decode() == render_canned_response(responses["shared"], ticket=incident, agent=lin)


def test_user_text_is_returned_as_text_not_html(login, lin, alice, service_desk):
    ticket = report(alice, title="<img src=x onerror=alert(1)>")
    canned = CannedResponse.objects.create(title="t", body="Re: {title}")

    response = login(lin).get(_url(ticket, canned))

    assert response.content.decode() == "Re: <img src=x onerror=alert(1)>"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("name", ["lees", "network", "off"])
def test_a_response_not_offered_to_me_is_404(login, lin, incident, responses, name):
    assert login(lin).get(_url(incident, responses[name])).status_code == 404


def test_an_unknown_response_is_404(login, lin, incident):
    url = reverse("servicedesk:desk_canned_response", args=[incident.number, 999999])

    assert login(lin).get(url).status_code == 404


def test_a_ticket_out_of_scope_is_404(login, lee, incident, responses):
    """lee may use the shared response, but not on a ticket of another group."""
    assert login(lee).get(_url(incident, responses["shared"])).status_code == 404


def test_anonymous_is_sent_to_login(client, incident, responses):
    response = client.get(_url(incident, responses["shared"]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_an_end_user_gets_403(request, login, incident, responses, who):
    assert login(request.getfixturevalue(who)).get(_url(incident, responses["shared"])).status_code == 403


def test_the_endpoint_refuses_post(login, lin, incident, responses):
    assert login(lin).post(_url(incident, responses["shared"])).status_code == 405


# -- admin -------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(login):
    return login(UserFactory(username="root", is_superuser=True, is_staff=True))


def test_the_admin_lists_and_adds_canned_responses(admin_client, responses, lin, service_desk):
    changelist = admin_client.get(reverse("admin:servicedesk_cannedresponse_changelist"))
    assert changelist.status_code == 200 and "Lin&#x27;s for the desk" in changelist.content.decode()
    assert admin_client.get(reverse("admin:servicedesk_cannedresponse_add")).status_code == 200

    response = admin_client.post(
        reverse("admin:servicedesk_cannedresponse_add"),
        {"title": "Password reset", "body": "Hi {requester}", "is_active": "on", "owner": "", "group": service_desk.pk},
    )

    assert response.status_code == 302
    assert CannedResponse.objects.get(title="Password reset").group == service_desk


def test_the_admin_refuses_a_response_without_text(admin_client):
    response = admin_client.post(reverse("admin:servicedesk_cannedresponse_add"), {"title": "Empty", "body": ""})

    assert response.status_code == 200
    assert not CannedResponse.objects.filter(title="Empty").exists()


def test_engineers_without_staff_rights_do_not_reach_the_admin(login, lin):
    response = login(lin).get(reverse("admin:servicedesk_cannedresponse_changelist"))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
