"""Desk: apply one action to the selected queue rows (the work is in servicedesk.bulk)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import bulk
from .forms import BulkForm
from .views import desk_required

# Failed rows listed one by one; past this many, the rest are counted.
LISTED_FAILURES = 25


@desk_required
@require_POST
def desk_bulk(request: HttpRequest) -> HttpResponse:
    """Assign, add a work note or change the state of every selected row; report the rows refused."""
    form = BulkForm(request.POST)
    back = back_to_queue(request)
    if not form.is_valid():
        for message in labelled_errors(form):
            messages.error(request, message)
        return redirect(back)
    data = form.cleaned_data
    if data["action"] == "assign":
        result = bulk.bulk_assign(
            actor=request.user, numbers=data["tickets"], group=data["group"], assignee=data["assignee"]
        )
    elif data["action"] == "note":
        result = bulk.bulk_add_note(
            actor=request.user,
            numbers=data["tickets"],
            body=data["body"],
            time_spent_minutes=data["time_spent_minutes"],
        )
    else:
        kind, action = form.state_action()
        result = bulk.bulk_change_state(
            actor=request.user, numbers=data["tickets"], kind=kind, action=action, values=data["values"]
        )
    report_result(request, result)
    return redirect(back)


def report_result(request: HttpRequest, result: bulk.BulkResult) -> None:
    if result.applied:
        count = len(result.applied)
        messages.success(
            request, ngettext("Done on %(count)d ticket.", "Done on %(count)d tickets.", count) % {"count": count}
        )
    if result.failed:
        count = len(result.failed)
        messages.error(
            request,
            ngettext("%(count)d ticket was not changed:", "%(count)d tickets were not changed:", count)
            % {"count": count},
        )
        for failure in result.failed[:LISTED_FAILURES]:
            messages.error(request, f"{failure.number}: {failure.reason}")
        if count > LISTED_FAILURES:
            messages.error(request, _("… and %(count)d more.") % {"count": count - LISTED_FAILURES})


def back_to_queue(request: HttpRequest) -> str:
    """Where the form came from (a desk queue with its filter), if that is a page of this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("servicedesk:desk_queue")


def labelled_errors(form) -> list[str]:
    """Each error with the label of its field ("Assignment group: Choose …")."""
    errors = []
    for name, field_errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        errors.extend(f"{label}: {error}" if label else str(error) for error in field_errors)
    return errors
