"""Portal and desk pages of the core: thin handlers that call selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import LazyPaginator, RequestConfig

from . import selectors, services
from .filters import TicketFilter
from .forms import AssignForm, BulkForm, ReplyForm, SavedFilterForm, clean_queue_query
from .models import AssignmentGroup
from .registry import all_kinds
from .tables import TicketTable

QUEUES = {
    "mine": gettext_lazy("Assigned to me"),
    "unassigned": gettext_lazy("My groups, unassigned"),
    "open": gettext_lazy("All open"),
    "all": gettext_lazy("All tickets"),
}


def desk_required(view):
    """Logged in and working in the desk; anyone else gets 403."""

    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm("servicedesk.access_desk"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def report_outcome(request: HttpRequest, action) -> bool:
    """Run a service call; turn refusals into a message for the user. True when it went through."""
    try:
        action()
    except services.TicketError as error:
        messages.error(request, str(error))
        return False
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    return True


def form_is_valid(request: HttpRequest, form) -> bool:
    """Validate a posted form; on failure every field error becomes a message (the page redirects back)."""
    if form.is_valid():
        return True
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return False


def posted_version(request: HttpRequest) -> int | None:
    """The ticket version a one-button form carried, for the "changed meanwhile" check."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def _version(form) -> int | None:
    return form.cleaned_data.get("version") if form.is_valid() else None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Engineers land in the desk, everybody else in the portal."""
    if request.user.has_perm("servicedesk.access_desk"):
        return redirect("servicedesk:desk_queue")
    return redirect("servicedesk:portal_home")


# -- portal ------------------------------------------------------------------------------------------


@login_required
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    recent = selectors.portal_tickets(request.user).filter(is_open=True)[:5]
    kinds = [kind for kind in all_kinds() if kind.portal_create_url]
    return render(request, "servicedesk/portal/home.html", {"recent": recent, "kinds": kinds})


@login_required
@require_GET
def portal_tickets(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    tickets = selectors.portal_tickets(request.user)
    if show == "open":
        tickets = tickets.filter(is_open=True)
    elif show == "closed":
        tickets = tickets.filter(is_open=False)
    page = Paginator(tickets, 20).get_page(request.GET.get("page"))
    return render(request, "servicedesk/portal/tickets.html", {"page": page, "show": show})


@login_required
@require_GET
def portal_ticket(request: HttpRequest, number: str) -> HttpResponse:
    ticket = selectors.specific(selectors.ticket_for_user(request.user, number, surface="portal"))
    return render(
        request,
        "servicedesk/portal/ticket.html",
        {
            "ticket": ticket,
            "timeline": selectors.ticket_timeline(ticket, public_only=True),
            "reply_form": ReplyForm(initial={"version": ticket.version}),
        },
    )


@login_required
@require_POST
def portal_reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, number, surface="portal")
    form = ReplyForm(request.POST, request.FILES)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.add_comment(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            files=form.cleaned_data["files"],
            expected_version=_version(form),
        ),
    ):
        messages.success(request, _("Your reply was added."))
    return redirect("servicedesk:portal_ticket", number=ticket.number)


@login_required
@require_GET
def portal_attachment(request: HttpRequest, pk: int) -> FileResponse:
    return _serve(selectors.attachment_for_user(request.user, pk, surface="portal"))


# -- desk --------------------------------------------------------------------------------------------


@desk_required
@require_GET
def desk_queue(request: HttpRequest, queue: str = "mine") -> HttpResponse:
    if queue not in QUEUES:
        queue = "mine"
    tickets = selectors.queue_tickets(request.user, queue)
    filterset = TicketFilter(request.GET, queryset=tickets, request=request)
    table = TicketTable(filterset.qs)
    # No COUNT over the whole queue: pages are fetched one row ahead, and the total is counted only up to a cap,
    # so the page costs the same with 100 or 100,000 matching tickets.
    RequestConfig(request, paginate={"per_page": 25, "paginator_class": LazyPaginator}).configure(table)
    table.capped_total = selectors.capped_count(filterset.qs, cap=selectors.QUEUE_COUNT_CAP)
    template = "servicedesk/desk/_queue_table.html" if request.htmx else "servicedesk/desk/queue.html"
    return render(
        request,
        template,
        {
            "queue": queue,
            "queue_label": QUEUES[queue],
            "queues": QUEUES,
            "filter": filterset,
            "table": table,
            **({} if request.htmx else _queue_tools(request, queue, filterset)),
        },
    )


def _queue_tools(request: HttpRequest, queue: str, filterset: TicketFilter) -> dict:
    """The desk tools around the queue (views_bulk.py, views_tools.py): bulk bar, saved filters, "save this"."""
    groups = filterset.form.fields["assignment_group"].widget
    # The filter and the bulk bar show the same groups: read them once (iter(): list() would COUNT them first).
    groups.choices = list(iter(groups.choices))
    query = clean_queue_query(request.GET.urlencode())
    return {
        "bulk_form": BulkForm(group_choices=groups.choices),
        "saved_filters": selectors.saved_filters_for(request.user),
        "save_filter_form": SavedFilterForm(
            owner=request.user, queues=QUEUES, initial={"queue": queue, "query": query}
        ),
        "current_query": query,
    }


@desk_required
@require_GET
def desk_ticket(request: HttpRequest, number: str) -> HttpResponse:
    ticket = selectors.specific(selectors.ticket_for_user(request.user, number, surface="desk"))
    return render(
        request,
        "servicedesk/desk/ticket.html",
        {
            "ticket": ticket,
            "timeline": selectors.ticket_timeline(ticket, public_only=False),
            "watchers": list(ticket.watchers.all()),
            "reply_form": ReplyForm(initial={"version": ticket.version}, allow_internal=True, auto_id="reply_%s"),
            "canned_responses": selectors.canned_responses_for(request.user).only("pk", "title"),
            "time_spent": selectors.time_spent_on(ticket),
            "assign_form": AssignForm(
                auto_id="assign_%s",
                initial={
                    "version": ticket.version,
                    "group": ticket.assignment_group_id,
                    "assignee": ticket.assignee_id,
                },
            ),
        },
    )


@desk_required
@require_POST
def desk_comment(request: HttpRequest, number: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, number, surface="desk")
    form = ReplyForm(request.POST, request.FILES, allow_internal=True)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.add_comment(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            files=form.cleaned_data["files"],
            internal=form.cleaned_data.get("internal", False),
            expected_version=_version(form),
            time_spent_minutes=form.cleaned_data.get("time_spent_minutes", 0),
        ),
    ):
        messages.success(request, _("Work note added.") if form.cleaned_data.get("internal") else _("Reply sent."))
    return redirect("servicedesk:desk_ticket", number=ticket.number)


@desk_required
@require_POST
def desk_assign(request: HttpRequest, number: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, number, surface="desk")
    form = AssignForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.assign_ticket(
            ticket=ticket,
            actor=request.user,
            group=form.cleaned_data["group"],
            assignee=form.cleaned_data["assignee"],
            expected_version=_version(form),
        ),
    ):
        messages.success(request, _("Assignment saved."))
    return redirect("servicedesk:desk_ticket", number=ticket.number)


@desk_required
@require_POST
def desk_take(request: HttpRequest, number: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, number, surface="desk")
    if report_outcome(
        request,
        lambda: services.assign_to_me(ticket=ticket, actor=request.user, expected_version=posted_version(request)),
    ):
        messages.success(request, _("%(number)s is now assigned to you.") % {"number": ticket.number})
    return redirect("servicedesk:desk_ticket", number=ticket.number)


@desk_required
@require_POST
def desk_watch(request: HttpRequest, number: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, number, surface="desk")
    watching = request.POST.get("watch") == "1"
    if report_outcome(request, lambda: services.set_watching(ticket=ticket, actor=request.user, watching=watching)):
        messages.success(request, _("You are watching this ticket.") if watching else _("You stopped watching."))
    return redirect("servicedesk:desk_ticket", number=ticket.number)


@desk_required
@require_GET
def desk_group_members(request: HttpRequest) -> HttpResponse:
    """htmx: the assignee options for the chosen group."""
    group_id = request.GET.get("group", "")
    group = AssignmentGroup.objects.filter(pk=group_id, is_active=True).first() if group_id.isdigit() else None
    members = group.members.filter(is_active=True).order_by("username") if group else []
    return render(request, "servicedesk/desk/_member_options.html", {"members": members})


@desk_required
@require_GET
def desk_attachment(request: HttpRequest, pk: int) -> FileResponse:
    return _serve(selectors.attachment_for_user(request.user, pk, surface="desk"))


# -- helpers -----------------------------------------------------------------------------------------


def _serve(attachment) -> FileResponse:
    """Always as a download, never rendered inline: an uploaded HTML or SVG cannot run in our origin."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response
