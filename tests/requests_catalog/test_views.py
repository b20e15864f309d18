"""Catalog pages through the Django test client: ordering, the cart, approvals, delegation and task work,
with the permission checks of each (the wrong user gets 403 or 404 and sees nothing)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_catalog.choices import RequestState, TaskState
from requests_catalog.models import Approval, ApprovalDelegation, CartLine, FulfilmentTask, ServiceRequest
from tests.factories import messages_of, upload

ITEM = "requests_catalog:item"


def laptop_post(**extra):
    data = {"model": "std", "order-quantity": "1", "order-requested_for": "", "order-note": "", "action": "order"}
    data.update(extra)
    return data


@pytest.fixture
def ordered(alice, login, catalog):
    login(alice).post(reverse(ITEM, args=["laptop"]), laptop_post())
    return ServiceRequest.objects.get()


@pytest.mark.django_db
class TestCatalogPages:
    def test_catalog_lists_only_what_the_user_may_order(self, alice, bob, login, catalog):
        page = login(bob).get(reverse("requests_catalog:catalog")).content.decode()
        assert 'data-slug="laptop"' in page and 'data-slug="dev-vm"' not in page
        page = login(alice).get(reverse("requests_catalog:catalog")).content.decode()
        assert 'data-slug="dev-vm"' in page

    def test_search_is_typo_tolerant(self, alice, login, catalog):
        page = login(alice).get(reverse("requests_catalog:catalog"), {"q": "lapto"}).content.decode()
        assert 'data-slug="laptop"' in page and 'data-slug="password-reset"' not in page
        page = login(alice).get(reverse("requests_catalog:catalog"), {"q": "zzzzqqq"}).content.decode()
        assert 'id="no-items"' in page

    def test_category_filter(self, alice, login, catalog):
        page = login(alice).get(reverse("requests_catalog:catalog"), {"category": "support"}).content.decode()
        assert 'data-slug="password-reset"' in page and 'data-slug="laptop"' not in page

    def test_item_not_open_to_the_user_is_404(self, bob, login, catalog):
        client = login(bob)
        assert client.get(reverse(ITEM, args=["dev-vm"])).status_code == 404
        assert client.post(reverse(ITEM, args=["dev-vm"]), {"action": "order"}).status_code == 404
        assert client.get(reverse(ITEM, args=["no-such-item"])).status_code == 404
        assert not ServiceRequest.objects.exists()

    def test_anonymous_is_sent_to_login(self, client, catalog):
        response = client.get(reverse(ITEM, args=["laptop"]))
        assert response.status_code == 302 and "login" in response.url

    def test_order_renders_the_form_from_the_version(self, alice, login, catalog):
        page = login(alice).get(reverse(ITEM, args=["laptop"])).content.decode()
        assert 'name="model"' in page and 'name="reason"' in page and "data-show-if" in page


@pytest.mark.django_db
class TestOrdering:
    def test_order_now_creates_the_request(self, alice, carol, ordered):
        assert ordered.requester == alice and ordered.state == RequestState.AWAITING_APPROVAL
        assert Approval.objects.get(line__request=ordered).approver == carol

    def test_bad_answers_give_field_errors_and_create_nothing(self, alice, login, catalog):
        client = login(alice)
        response = client.post(reverse(ITEM, args=["laptop"]), laptop_post(model="gold"))
        assert response.status_code == 400
        assert "model" in response.context["form"].errors
        response = client.post(reverse(ITEM, args=["laptop"]), laptop_post(model="pro"))  # reason now required
        assert response.status_code == 400 and "reason" in response.context["form"].errors
        response = client.post(reverse(ITEM, args=["laptop"]), laptop_post(**{"order-quantity": "9"}))
        assert response.status_code == 400 and "quantity" in response.context["options"].errors
        past = (timezone.localdate() - timedelta(days=1)).isoformat()
        response = client.post(reverse(ITEM, args=["laptop"]), laptop_post(needed_by=past))
        assert response.status_code == 400 and "needed_by" in response.context["form"].errors
        assert not ServiceRequest.objects.exists()

    def test_hidden_answer_is_dropped(self, alice, login, catalog):
        login(alice).post(reverse(ITEM, args=["laptop"]), laptop_post(model="std", reason="ignored"))
        answers = {a.key: a.display for a in ServiceRequest.objects.get().lines.get().answers.all()}
        assert answers == {"model": 'Standard 14"'}

    def test_order_for_someone_else(self, alice, bob, login, catalog):
        login(alice).post(reverse(ITEM, args=["laptop"]), laptop_post(**{"order-requested_for": "bob"}))
        request = ServiceRequest.objects.get()
        assert request.requested_for == bob
        assert login(bob).get(reverse("servicedesk:portal_ticket", args=[request.number])).status_code == 200

    def test_cart_then_checkout(self, alice, login, catalog):
        client = login(alice)
        client.post(reverse(ITEM, args=["laptop"]), laptop_post(action="cart"))
        client.post(
            reverse(ITEM, args=["password-reset"]), {"account": "alice", "order-quantity": "1", "action": "cart"}
        )
        assert CartLine.objects.filter(owner=alice).count() == 2
        assert "Laptop" in client.get(reverse("requests_catalog:cart")).content.decode()
        response = client.post(reverse("requests_catalog:cart"), {"note": "Starting Monday"})
        request = ServiceRequest.objects.get()
        assert response.url == reverse("servicedesk:portal_ticket", args=[request.number])
        assert request.lines.count() == 2 and request.description == "Starting Monday"
        assert not CartLine.objects.filter(owner=alice).exists()

    def test_cart_lines_are_private(self, alice, bob, login, catalog):
        login(alice).post(reverse(ITEM, args=["laptop"]), laptop_post(action="cart"))
        line = CartLine.objects.get()
        login(bob).post(reverse("requests_catalog:cart_remove", args=[line.pk]))
        assert CartLine.objects.filter(pk=line.pk).exists()
        assert "Laptop" not in login(bob).get(reverse("requests_catalog:cart")).content.decode()
        response = login(bob).post(reverse("requests_catalog:cart"), {})
        assert "Your cart is empty." in response.content.decode()
        assert not ServiceRequest.objects.exists()

    def test_attachment_answer_becomes_a_request_attachment(self, alice, login, catalog):
        from requests_catalog.definition import publish_version
        from requests_catalog.models import ItemField

        ItemField.objects.create(item=catalog.reset, position=2, key="proof", label="Proof", field_type="attachment")
        publish_version(catalog.reset)
        client = login(alice)
        client.post(
            reverse(ITEM, args=["password-reset"]),
            {"account": "alice", "order-quantity": "1", "action": "cart", "proof": upload("id.png")},
        )
        client.post(reverse("requests_catalog:cart"), {})
        answer = ServiceRequest.objects.get().lines.get().answers.get(key="proof")
        assert answer.value_attachment.filename == "id.png"
        assert answer.value_attachment.ticket_id == ServiceRequest.objects.get().pk


@pytest.mark.django_db
class TestPortalRequest:
    def test_requester_sees_progress_in_plain_language(self, alice, login, ordered):
        page = login(alice).get(reverse("servicedesk:portal_ticket", args=[ordered.number])).content.decode()
        assert "Waiting for approval: Manager (Carol" in page
        assert 'id="cancel"' in page

    def test_stranger_sees_nothing(self, bob, login, ordered):
        client = login(bob)
        assert client.get(reverse("servicedesk:portal_ticket", args=[ordered.number])).status_code == 404
        response = client.post(reverse("requests_catalog:cancel", args=[ordered.number]), {"reason": "x"})
        assert response.status_code == 404
        assert ServiceRequest.objects.get().state == RequestState.AWAITING_APPROVAL

    def test_requester_cancels(self, alice, login, ordered):
        login(alice).post(
            reverse("requests_catalog:cancel", args=[ordered.number]),
            {"reason": "No longer needed", "version": ordered.version},
        )
        assert ServiceRequest.objects.get().state == RequestState.CANCELLED

    def test_cancel_without_reason_changes_nothing(self, alice, login, ordered):
        response = login(alice).post(reverse("requests_catalog:cancel", args=[ordered.number]), {"reason": ""})
        assert messages_of(response)
        assert ServiceRequest.objects.get().state == RequestState.AWAITING_APPROVAL


@pytest.mark.django_db
class TestApprovalPages:
    def test_manager_sees_and_approves(self, carol, login, ordered):
        client = login(carol)
        page = client.get(reverse("requests_catalog:approvals")).content.decode()
        assert f'data-request="{ordered.number}"' in page
        approval = Approval.objects.get(approver=carol)
        detail = client.get(reverse("requests_catalog:approval", args=[approval.pk])).content.decode()
        assert 'id="approve"' in detail and "Standard 14" in detail
        client.post(reverse("requests_catalog:approval", args=[approval.pk]), {"decision": "approve", "comment": ""})
        assert Approval.objects.get(pk=approval.pk).state == "approved"

    def test_reject_needs_a_comment(self, carol, login, ordered):
        approval = Approval.objects.get(approver=carol)
        login(carol).post(reverse("requests_catalog:approval", args=[approval.pk]), {"decision": "reject"})
        assert Approval.objects.get(pk=approval.pk).state == "requested"

    def test_others_get_404_and_cannot_decide(self, alice, bob, lin, login, ordered):
        approval = Approval.objects.get()
        for user in (alice, bob, lin):
            client = login(user)
            assert client.get(reverse("requests_catalog:approval", args=[approval.pk])).status_code == 404
            response = client.post(reverse("requests_catalog:approval", args=[approval.pk]), {"decision": "approve"})
            assert response.status_code == 404
            assert (
                f'data-request="{ordered.number}"'
                not in client.get(reverse("requests_catalog:approvals")).content.decode()
            )
        assert Approval.objects.get().state == "requested"

    def test_delegate_acts_from_the_list(self, bob, carol, login, ordered):
        today = timezone.localdate()
        client = login(carol)
        response = client.post(
            reverse("requests_catalog:delegations"),
            {"delegate": "bob", "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=3)).isoformat()},
        )
        assert response.status_code == 302
        assert ApprovalDelegation.objects.get().delegate == bob
        page = login(bob).get(reverse("requests_catalog:approvals")).content.decode()
        assert f'data-request="{ordered.number}"' in page and "on behalf of" in page
        approval = Approval.objects.get()
        login(bob).post(reverse("requests_catalog:approval", args=[approval.pk]), {"decision": "approve"})
        assert Approval.objects.get(pk=approval.pk).decided_by == bob

    def test_bad_delegation_is_refused(self, carol, login, db):
        today = timezone.localdate()
        client = login(carol)
        for data in (
            {"delegate": "carol", "starts_on": today, "ends_on": today},
            {"delegate": "nobody", "starts_on": today, "ends_on": today},
            {"delegate": "carol", "starts_on": today, "ends_on": today - timedelta(days=2)},
        ):
            assert client.post(reverse("requests_catalog:delegations"), data).status_code == 400
        assert not ApprovalDelegation.objects.exists()

    def test_only_the_delegator_removes_a_delegation(self, bob, carol, login, db):
        today = timezone.localdate()
        delegation = ApprovalDelegation.objects.create(delegator=carol, delegate=bob, starts_on=today, ends_on=today)
        assert login(bob).post(reverse("requests_catalog:delegation_delete", args=[delegation.pk])).status_code == 404
        login(carol).post(reverse("requests_catalog:delegation_delete", args=[delegation.pk]))
        assert not ApprovalDelegation.objects.exists()


@pytest.mark.django_db
class TestDeskTasks:
    @pytest.fixture
    def task(self, alice, login, catalog):
        login(alice).post(reverse(ITEM, args=["password-reset"]), {"account": "alice", "order-quantity": "1"})
        return FulfilmentTask.objects.get()

    def test_engineer_of_the_group_works_the_task(self, lee, login, task):
        client = login(lee)
        page = client.get(reverse("servicedesk:desk_ticket", args=[task.number])).content.decode()
        assert 'id="task-complete"' in page and 'data-key="account"' in page
        client.post(reverse("requests_catalog:task_start", args=[task.number]), {"version": task.version})
        task.refresh_from_db()
        assert task.state == TaskState.IN_PROGRESS and task.assignee == lee
        client.post(
            reverse("requests_catalog:task_complete", args=[task.number]), {"notes": "Reset", "version": task.version}
        )
        assert ServiceRequest.objects.get().state == RequestState.FULFILLED

    def test_task_queue_filter(self, lee, login, task):
        page = login(lee).get(reverse("servicedesk:desk_queue_named", args=["open"]), {"kind": "task"}).content.decode()
        assert task.number in page

    def test_requester_and_other_groups_cannot_touch_the_task(self, alice, lin, login, task):
        response = login(alice).post(reverse("requests_catalog:task_complete", args=[task.number]), {"notes": "x"})
        assert response.status_code == 403
        assert login(alice).get(reverse("servicedesk:portal_ticket", args=[task.number])).status_code == 404
        # lin is in Desktop Support, the task belongs to Identity
        response = login(lin).post(reverse("requests_catalog:task_complete", args=[task.number]), {"notes": "x"})
        assert response.status_code == 404
        assert FulfilmentTask.objects.get().state == TaskState.OPEN

    def test_ask_the_requester(self, alice, lee, login, task):
        login(lee).post(reverse("requests_catalog:task_ask", args=[task.number]), {"question": "Which account?"})
        assert FulfilmentTask.objects.get().state == TaskState.AWAITING_REQUESTER
        request = ServiceRequest.objects.get()
        page = login(alice).get(reverse("servicedesk:portal_ticket", args=[request.number])).content.decode()
        assert "Which account?" in page and "Waiting for your answer" in page
        login(alice).post(reverse("servicedesk:portal_reply", args=[request.number]), {"body": "alice.w"})
        assert FulfilmentTask.objects.get().state == TaskState.IN_PROGRESS

    def test_stale_version_is_refused(self, lee, login, task):
        response = login(lee).post(
            reverse("requests_catalog:task_complete", args=[task.number]), {"notes": "x", "version": task.version - 1}
        )
        assert messages_of(response)
        assert FulfilmentTask.objects.get().state == TaskState.OPEN


@pytest.mark.django_db
class TestQueriesStayConstant:
    """Pages cost the same number of queries with 1 or many items, lines, approvals and tasks."""

    def _more_items(self, catalog, count):
        from requests_catalog.definition import publish_version
        from requests_catalog.models import CatalogCategory, CatalogItem

        shelves = [catalog.hardware]
        for depth in range(3):  # nested three deep, so a category's path spans levels
            shelves.append(
                CatalogCategory.objects.create(name=f"Level {depth}", slug=f"level-{depth}", parent=shelves[-1])
            )
        for n in range(count):
            item = CatalogItem.objects.create(
                slug=f"extra-{n}",
                name=f"Extra {n}",
                category=catalog.hardware,
                fulfilment_group=catalog.laptop.fulfilment_group,
            )
            item.allowed_departments.add(*catalog.dev_vm.allowed_departments.all())
            publish_version(item)

    def test_catalog_page(self, alice, login, catalog, django_assert_max_num_queries):
        client = login(alice)
        client.get(reverse("requests_catalog:catalog"))
        with django_assert_max_num_queries(14) as few:
            client.get(reverse("requests_catalog:catalog"))
        self._more_items(catalog, 8)
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = client.get(reverse("requests_catalog:catalog")).content.decode()
        assert 'data-slug="extra-7"' in page

    def test_request_page_in_portal_and_desk(self, alice, carol, lee, login, catalog, django_assert_max_num_queries):
        from requests_catalog import services

        from .test_workflow import answer

        def request_with(lines):
            order_lines = [
                services.OrderLine(version=catalog.reset.current_version, answers=[answer("account", f"a{n}")])
                for n in range(lines)
            ]
            return services.submit_request(actor=alice, lines=order_lines)

        small, large = request_with(1), request_with(6)
        for user, url_name in ((alice, "servicedesk:portal_ticket"), (lee, "servicedesk:desk_ticket")):
            client = login(user)
            client.get(reverse(url_name, args=[small.number]))
            with django_assert_max_num_queries(40) as few:
                client.get(reverse(url_name, args=[small.number]))
            with django_assert_max_num_queries(len(few.captured_queries)):
                page = client.get(reverse(url_name, args=[large.number])).content.decode()
            assert page.count("request-line") == 6

    def test_approvals_page(self, alice, carol, login, catalog, django_assert_max_num_queries):
        from .test_workflow import order

        order(alice, catalog.laptop)
        client = login(carol)
        client.get(reverse("requests_catalog:approvals"))
        with django_assert_max_num_queries(12) as few:
            client.get(reverse("requests_catalog:approvals"))
        for _ in range(5):
            order(alice, catalog.laptop)
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = client.get(reverse("requests_catalog:approvals")).content.decode()
        assert page.count("data-request=") == 6


@pytest.mark.django_db
def test_only_the_requester_side_confirms_delivery(alice, bob, lee, login, catalog):
    login(alice).post(reverse(ITEM, args=["password-reset"]), {"account": "alice", "order-quantity": "1"})
    request = ServiceRequest.objects.get()
    login(lee).post(reverse("requests_catalog:task_complete", args=[FulfilmentTask.objects.get().number]), {})
    assert ServiceRequest.objects.get().state == RequestState.FULFILLED
    url = reverse("requests_catalog:confirm", args=[request.number])
    assert login(bob).post(url).status_code == 404
    assert ServiceRequest.objects.get().state == RequestState.FULFILLED
    assert login(alice).get(url).status_code == 405
    login(alice).post(url)
    assert ServiceRequest.objects.get().state == RequestState.CLOSED


@pytest.mark.django_db
def test_an_empty_question_changes_nothing(alice, lee, login, catalog):
    login(alice).post(reverse(ITEM, args=["password-reset"]), {"account": "alice", "order-quantity": "1"})
    task = FulfilmentTask.objects.get()
    response = login(lee).post(reverse("requests_catalog:task_ask", args=[task.number]), {"question": "  "})
    assert messages_of(response)
    assert FulfilmentTask.objects.get().state == TaskState.OPEN
    assert not ServiceRequest.objects.get().comments.exists()


@pytest.mark.django_db
def test_checkout_for_an_unknown_person_orders_nothing(alice, login, catalog):
    client = login(alice)
    client.post(reverse(ITEM, args=["laptop"]), laptop_post(action="cart"))
    response = client.post(reverse("requests_catalog:cart"), {"requested_for": "nobody-here"}, follow=True)
    assert "No active user with that username or email." in response.content.decode()
    assert not ServiceRequest.objects.exists()
    assert CartLine.objects.filter(owner=alice).count() == 1


@pytest.mark.django_db
def test_the_delegation_service_refuses_oneself_and_backwards_dates(carol, bob):
    from requests_catalog import services

    today = timezone.localdate()
    with pytest.raises(services.RequestError):
        services.delegate_approvals(delegator=carol, delegate=carol, starts_on=today, ends_on=today)
    with pytest.raises(services.RequestError):
        services.delegate_approvals(delegator=carol, delegate=bob, starts_on=today, ends_on=today - timedelta(days=1))
    assert not ApprovalDelegation.objects.exists()
    assert services.remove_delegation(actor=bob, delegation_id=12345) is False
