"""Desk tools: saved queue filters, canned responses, the collision warning and the time report."""

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .canned import render_canned_response
from .forms import SavedFilterForm, TimeRangeForm
from .rules import sees_all_tickets
from .views import QUEUES, desk_required, report_outcome
from .views_bulk import back_to_queue, labelled_errors

# -- saved queue filters -----------------------------------------------------------------------------


@desk_required
@require_POST
def desk_save_filter(request: HttpRequest) -> HttpResponse:
    """Save the queue as it is filtered now; back on it, with the new filter in the sidebar."""
    form = SavedFilterForm(request.POST, owner=request.user, queues=QUEUES)
    if not form.is_valid():
        for message in labelled_errors(form):
            messages.error(request, message)
        return redirect(back_to_queue(request))
    data = form.cleaned_data
    if report_outcome(
        request,
        lambda: services.save_queue_filter(
            owner=request.user, name=data["name"], queue=data["queue"], query=data["query"], is_shared=data["is_shared"]
        ),
    ):
        messages.success(request, _("Filter %(name)s saved.") % {"name": data["name"]})
    url = reverse("servicedesk:desk_queue_named", args=[data["queue"]])
    return redirect(f"{url}?{data['query']}" if data["query"] else url)


@desk_required
@require_POST
def desk_delete_filter(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of my saved filters (a filter others shared is theirs to delete: 403)."""
    saved = get_object_or_404(selectors.saved_filters_for(request.user), pk=pk)
    services.delete_queue_filter(actor=request.user, saved_filter=saved)
    messages.success(request, _("Filter %(name)s deleted.") % {"name": saved.name})
    return redirect(back_to_queue(request))


# -- canned responses --------------------------------------------------------------------------------


@desk_required
@require_GET
def desk_canned_response(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """The text of a canned response with this ticket's placeholders filled, for the comment box."""
    ticket = selectors.ticket_for_user(request.user, number, surface="desk")
    response = get_object_or_404(selectors.canned_responses_for(request.user), pk=pk)
    text = render_canned_response(response, ticket=ticket, agent=request.user)
    reply = HttpResponse(text, content_type="text/plain; charset=utf-8")
    reply["X-Content-Type-Options"] = "nosniff"
    return reply


# -- collision warning -------------------------------------------------------------------------------


@desk_required
@require_POST
def desk_presence(request: HttpRequest, number: str) -> HttpResponse:
    """htmx poll: I have the ticket open (editing or not); who else has?"""
    ticket = selectors.ticket_for_user(request.user, number, surface="desk")
    services.record_presence(ticket=ticket, user=request.user, editing=request.POST.get("editing") == "1")
    others = selectors.others_on_ticket(ticket, request.user)
    return render(request, "servicedesk/desk/_presence.html", {"others": others})


# -- time report -------------------------------------------------------------------------------------


@desk_required
@require_GET
def desk_time(request: HttpRequest) -> HttpResponse:
    """Minutes booked per ticket group and per engineer over a period (this month by default)."""
    today = timezone.localdate()
    form = TimeRangeForm(request.GET if request.GET else {"start": today.replace(day=1), "end": today})
    by_group = by_engineer = []
    if form.is_valid():
        start = _day_start(form.cleaned_data["start"])
        end = _day_start(form.cleaned_data["end"] + dt.timedelta(days=1))
        by_group = selectors.time_spent_by_group(request.user, start, end)
        by_engineer = selectors.time_spent_by_engineer(request.user, start, end)
    return render(
        request,
        "servicedesk/desk/time.html",
        {
            "form": form,
            "by_group": by_group,
            "by_engineer": by_engineer,
            "total": sum(row["minutes"] for row in by_group),
            "sees_all": sees_all_tickets(request.user),
        },
    )


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of the day, in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
