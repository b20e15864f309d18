"""Catalog pages: browse and order in the portal, the cart, approvals and delegation; task work in the desk."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.selectors import ticket_for_user
from servicedesk.views import desk_required, form_is_valid, posted_version, report_outcome

from . import selectors, services
from .form_engine import answers_from, build_order_form
from .forms import (
    CheckoutForm,
    CompleteTaskForm,
    DecisionForm,
    DelegationForm,
    OrderOptionsForm,
    QuestionForm,
    ReasonForm,
)
from .models import CartLine, FulfilmentTask, ServiceRequest

# -- the catalog ----------------------------------------------------------------------------------------


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """Portal: every item the user may order, by category, with a search box and a category filter."""
    query = request.GET.get("q", "").strip()[:200]
    items = selectors.search_items(request.user, query)
    categories = selectors.active_categories()
    paths = selectors.category_paths(categories)
    chosen = request.GET.get("category", "")
    if chosen:
        items = [item for item in items if any(c.slug == chosen for c in paths.get(item.category_id, ()))]
    shelves: dict = {}
    for item in items:
        path = paths.get(item.category_id) or [item.category]
        shelves.setdefault((" › ".join(c.name for c in path), path[-1].icon), []).append(item)
    return render(
        request,
        "requests_catalog/portal/catalog.html",
        {
            "shelves": shelves,
            "query": query,
            "categories": [c for c in categories if c.parent_id is None],
            "chosen": chosen,
            "cart_count": CartLine.objects.filter(owner=request.user).count(),
        },
    )


@login_required
def order_item(request: HttpRequest, slug: str) -> HttpResponse:
    """Portal: the item's page with its order form; order now, or add to the cart."""
    item = selectors.item_for_order(request.user, slug)
    version = item.current_version
    posted = request.method == "POST"
    form = build_order_form(
        version.form, user=request.user, data=request.POST if posted else None, files=request.FILES if posted else None
    )
    options = OrderOptionsForm(request.POST if posted else None, max_quantity=item.max_quantity)
    if posted and form.is_valid() & options.is_valid():
        answers = answers_from(form)
        quantity = options.cleaned_data["quantity"]
        if request.POST.get("action") == "cart":
            if report_outcome(
                request,
                lambda: services.add_to_cart(actor=request.user, version=version, quantity=quantity, answers=answers),
            ):
                messages.success(request, _("%(item)s is in your cart.") % {"item": item.name})
                return redirect("requests_catalog:cart")
        else:
            created = []
            if report_outcome(
                request,
                lambda: created.append(
                    services.submit_request(
                        actor=request.user,
                        lines=[services.OrderLine(version=version, quantity=quantity, answers=answers)],
                        requested_for=options.cleaned_data["requested_for"],
                        note=options.cleaned_data["note"],
                    )
                ),
            ):
                messages.success(
                    request, _("Thank you. Your request %(number)s was recorded.") % {"number": created[0].number}
                )
                return redirect("servicedesk:portal_ticket", number=created[0].number)
    status = 400 if posted else 200
    return render(
        request,
        "requests_catalog/portal/item.html",
        {"item": item, "version": version, "form": form, "options": options},
        status=status,
    )


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    lines = CartLine.objects.filter(owner=request.user).select_related("item_version__item")
    form = CheckoutForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form_is_valid(request, form):
        created = []
        if report_outcome(
            request,
            lambda: created.append(
                services.checkout(
                    actor=request.user,
                    requested_for=form.cleaned_data["requested_for"],
                    note=form.cleaned_data["note"],
                )
            ),
        ):
            messages.success(
                request, _("Thank you. Your request %(number)s was recorded.") % {"number": created[0].number}
            )
            return redirect("servicedesk:portal_ticket", number=created[0].number)
    return render(request, "requests_catalog/portal/cart.html", {"lines": lines, "form": form})


@login_required
@require_POST
def cart_remove(request: HttpRequest, pk: int) -> HttpResponse:
    services.remove_from_cart(actor=request.user, line_id=pk)
    return redirect("requests_catalog:cart")


# -- the requester's request -----------------------------------------------------------------------------


def _portal_request(request: HttpRequest, number: str) -> ServiceRequest:
    return selectors.service_request(ticket_for_user(request.user, number, surface="portal"))


@login_required
@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    service_request = _portal_request(request, number)
    form = ReasonForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.cancel_request(
            request=service_request,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("%(number)s is cancelled.") % {"number": service_request.number})
    return redirect("servicedesk:portal_ticket", number=service_request.number)


@login_required
@require_POST
def confirm(request: HttpRequest, number: str) -> HttpResponse:
    service_request = _portal_request(request, number)
    if report_outcome(request, lambda: services.close_request(request=service_request, actor=request.user)):
        messages.success(request, _("Thank you: %(number)s is closed.") % {"number": service_request.number})
    return redirect("servicedesk:portal_ticket", number=service_request.number)


# -- approvals ---------------------------------------------------------------------------------------------


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "requests_catalog/portal/approvals.html",
        {
            "pending": list(selectors.pending_approvals(request.user)),
            "decided": selectors.decided_approvals(request.user),
        },
    )


@login_required
def approval(request: HttpRequest, pk: int) -> HttpResponse:
    """One approval: what was ordered, by whom, the answers and the trail so far; approve or reject."""
    item = selectors.approval_for_user(request.user, pk)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form_is_valid(request, form):
        approve = form.cleaned_data["decision"] == "approve"
        if report_outcome(
            request,
            lambda: services.decide_approval(
                approval=item, actor=request.user, approve=approve, comment=form.cleaned_data["comment"]
            ),
        ):
            messages.success(
                request,
                (_("You approved %(number)s.") if approve else _("You rejected %(number)s."))
                % {"number": item.line.request.number},
            )
            return redirect("requests_catalog:approvals")
    service_request = item.line.request
    return render(
        request,
        "requests_catalog/portal/approval.html",
        {
            "approval": item,
            "service_request": service_request,
            "lines": selectors.request_lines(service_request),
            "form": form,
            "can_decide": item.state == "requested" and services.may_decide(request.user, item),
        },
    )


@login_required
def delegations(request: HttpRequest) -> HttpResponse:
    """While I am away: who decides my approvals, from when to when."""
    form = DelegationForm(request.POST if request.method == "POST" else None, user=request.user)
    if (
        request.method == "POST"
        and form.is_valid()
        and report_outcome(request, lambda: services.delegate_approvals(delegator=request.user, **form.cleaned_data))
    ):
        messages.success(
            request, _("Your approvals will also go to %(person)s.") % {"person": form.cleaned_data["delegate"]}
        )
        return redirect("requests_catalog:delegations")
    return render(
        request,
        "requests_catalog/portal/delegations.html",
        {"form": form, **selectors.delegations_of(request.user)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def delegation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.remove_delegation(actor=request.user, delegation_id=pk):
        raise Http404("No such delegation.")
    messages.success(request, _("The delegation was removed."))
    return redirect("requests_catalog:delegations")


# -- desk: fulfilment tasks ---------------------------------------------------------------------------------


def _desk_task(request: HttpRequest, number: str) -> FulfilmentTask:
    ticket = ticket_for_user(request.user, number, surface="desk")
    return get_object_or_404(FulfilmentTask, pk=ticket.pk)


@desk_required
@require_POST
def task_start(request: HttpRequest, number: str) -> HttpResponse:
    task = _desk_task(request, number)
    if report_outcome(
        request,
        lambda: services.start_task(task=task, actor=request.user, expected_version=posted_version(request)),
    ):
        messages.success(request, _("You are working on %(number)s.") % {"number": task.number})
    return redirect("servicedesk:desk_ticket", number=task.number)


@desk_required
@require_POST
def task_complete(request: HttpRequest, number: str) -> HttpResponse:
    task = _desk_task(request, number)
    form = CompleteTaskForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.complete_task(
            task=task,
            actor=request.user,
            notes=form.cleaned_data["notes"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("%(number)s is done.") % {"number": task.number})
    return redirect("servicedesk:desk_ticket", number=task.number)


@desk_required
@require_POST
def task_ask(request: HttpRequest, number: str) -> HttpResponse:
    task = _desk_task(request, number)
    form = QuestionForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.ask_requester(
            task=task,
            actor=request.user,
            question=form.cleaned_data["question"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("Your question was sent to the requester."))
    return redirect("servicedesk:desk_ticket", number=task.number)
