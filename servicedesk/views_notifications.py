"""The portal page where people choose which notifications they get, where, and in which language."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import notifications
from .forms import NotificationPreferenceForm


@login_required
@require_http_methods(["GET", "POST"])
def portal_notification_preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own choices; the URL names nobody, so no one can reach another's."""
    webhook = notifications.webhooks_serving([request.user.pk]).get(request.user.pk)
    current = notifications.preference_of(request.user)
    initial = {"email_topics": current.email_topics, "im_topics": current.im_topics, "language": current.language}
    form = NotificationPreferenceForm(
        request.POST if request.method == "POST" else None, initial=initial, webhook=webhook
    )
    if request.method == "POST" and form.is_valid():
        notifications.save_preferences(
            user=request.user,
            email_topics=form.cleaned_data["email_topics"],
            im_topics=form.cleaned_data.get("im_topics"),
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("servicedesk:portal_notification_preferences")
    return render(
        request,
        "servicedesk/portal/notification_preferences.html",
        {"form": form, "webhook": webhook},
        status=400 if request.method == "POST" else 200,
    )
