"""Knowledge pages: search and read in the portal (with feedback and suggestions while reporting an issue); write,
review and curate in the desk; the panel on every desk ticket. Thin: parse input, call a selector or a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.selectors import ticket_for_user
from servicedesk.views import desk_required, report_outcome

from . import search, selectors, services
from .forms import ArticleForm, FeedbackForm, PeriodForm, PublishForm, SearchForm, TextForm
from .models import Article, ArticleAttachment, ArticleState, Feedback

PER_PAGE = 20
LIST_PER_PAGE = 25
SUGGESTIONS = 5

DESK_TABS = {
    "search": gettext_lazy("Search"),
    "drafts": gettext_lazy("My drafts"),
    "review": gettext_lazy("Review queue"),
    "flagged": gettext_lazy("Flagged"),
    "retired": pgettext_lazy("articles", "Retired"),
}


def contributor_required(view):
    """Logged in and writing knowledge (a desk engineer or a Knowledge Editor); anyone else gets 403."""

    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm("knowledge.author_article"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _article(user, number: str, *, live: bool = False) -> Article:
    """The article with this number if the user may read it (live only for readers' pages), else 404."""
    pk = Article.pk_from_number(number)
    articles = selectors.visible_articles(user).filter(is_live=True) if live else selectors.visible_articles(user)
    article = articles.select_related("published_version", "owner").filter(pk=pk).first() if pk else None
    if article is None:
        raise Http404("No such article.")
    return article


def _search_page(request: HttpRequest, *, internal: bool) -> dict:
    """Run the search form: hits of the page asked (one row more tells whether there is a next page)."""
    form = SearchForm(request.GET or None, with_audience=internal)
    hits, page, query = [], 1, ""
    if form.is_valid():
        query, page = form.cleaned_data["q"].strip(), form.cleaned_data["page"] or 1
        if query:
            hits = search.search(
                query,
                user_can_see_internal=internal,
                limit=PER_PAGE + 1,
                offset=(page - 1) * PER_PAGE,
                **form.filters(),
            )
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "form": form,
        "query": query,
        "hits": hits[:PER_PAGE],
        "page_number": page,
        "has_next": len(hits) > PER_PAGE,
        "has_previous": page > 1,
        "querystring": params.urlencode(),
    }


# -- portal ------------------------------------------------------------------------------------------


@login_required
@require_GET
def portal_search(request: HttpRequest) -> HttpResponse:
    """Portal: search the published public articles (the most read ones before a query)."""
    context = _search_page(request, internal=False)
    if not context["query"]:
        context["popular"] = (
            selectors.visible_articles(request.user)
            .filter(is_live=True, audience="public")
            .select_related("published_version")
            .order_by("-view_count", "-pk")[:10]
        )
    return render(request, "knowledge/portal/search.html", context)


@login_required
@require_GET
def portal_article(request: HttpRequest, number: str) -> HttpResponse:
    """Portal: the published version of an article, counted as one view."""
    article = _article(request.user, number, live=True)
    services.record_view(article=article, user=request.user)
    mine = Feedback.objects.filter(article=article, user=request.user).first()
    return render(
        request,
        "knowledge/portal/article.html",
        {
            "article": article,
            "version": article.published_version,
            "attachments": article.attachments.all(),
            "feedback": mine,
            "feedback_form": FeedbackForm(initial={"comment": mine.comment if mine else ""}),
        },
    )


@login_required
@require_POST
def portal_feedback(request: HttpRequest, number: str) -> HttpResponse:
    """Portal: "Was this helpful?" (htmx swaps the box; without JavaScript the page reloads)."""
    article = _article(request.user, number, live=True)
    form = FeedbackForm(request.POST)
    feedback = None
    if form.is_valid():
        saved = []
        if report_outcome(
            request,
            lambda: saved.append(
                services.give_feedback(
                    article=article,
                    user=request.user,
                    helpful=form.cleaned_data["helpful"],
                    comment=form.cleaned_data["comment"],
                )
            ),
        ):
            feedback = saved[0]
            if not request.htmx:
                messages.success(request, _("Thank you for your feedback."))
    elif not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    if request.htmx:
        return render(
            request,
            "knowledge/portal/_feedback.html",
            {"article": article, "feedback": feedback, "feedback_form": form, "thanked": feedback is not None},
            status=200 if feedback is not None else 400,
        )
    return redirect("knowledge:portal_article", number=article.number)


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A file on an article the user may read (a download, never rendered inline); 404 otherwise."""
    found = (
        ArticleAttachment.objects.filter(pk=pk, article__in=selectors.visible_articles(request.user))
        .only("file", "filename")
        .first()
    )
    if found is None:
        raise Http404("No such file.")
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def portal_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: public articles that may answer the issue being typed (never internal ones, whoever asks)."""
    text = request.GET.get("q") or "\n".join(
        part for part in (request.GET.get("title", ""), request.GET.get("description", "")) if part.strip()
    )
    hits = search.suggest(text[:2000], user_can_see_internal=False, limit=SUGGESTIONS)
    return render(request, "knowledge/portal/_suggestions.html", {"hits": hits, "text": text.strip()})


# -- desk --------------------------------------------------------------------------------------------


def _desk_list(request: HttpRequest, tab: str):
    user = request.user
    if tab == "drafts":
        rows = selectors.visible_articles(user).filter(
            owner_id=user.pk, state__in=(ArticleState.DRAFT, ArticleState.IN_REVIEW)
        )
    elif tab == "review":
        if not user.has_perm("knowledge.review_article"):
            raise PermissionDenied
        rows = selectors.review_queue()
    elif tab == "flagged":
        rows = selectors.flagged_for(user)
    else:
        rows = selectors.visible_articles(user).filter(state=ArticleState.RETIRED).order_by("-updated_at", "-pk")
    return Paginator(rows.select_related("owner"), LIST_PER_PAGE).get_page(request.GET.get("page"))


@contributor_required
@require_GET
def desk_home(request: HttpRequest) -> HttpResponse:
    """Desk: search every article the engineer may read (internal included), and their work lists."""
    tab = request.GET.get("tab", "search")
    if tab not in DESK_TABS:
        tab = "search"
    context = {"tab": tab, "tabs": DESK_TABS, "is_editor": request.user.has_perm("knowledge.review_article")}
    if tab == "search":
        context.update(_search_page(request, internal=True))
    else:
        context["page"] = _desk_list(request, tab)
    return render(request, "knowledge/desk/home.html", context)


@contributor_required
@require_http_methods(["GET", "POST"])
def desk_new(request: HttpRequest) -> HttpResponse:
    """Desk: write a new article (a draft owned by its author)."""
    form = ArticleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.create_article(author=request.user, **form.article_fields())
        except services.ArticleError as error:
            form.add_error(None, str(error))
        else:
            files = form.cleaned_data["files"]
            if files:
                report_outcome(request, lambda: services.attach_files(article=article, actor=request.user, files=files))
            messages.success(request, _("%(number)s was saved as a draft.") % {"number": article.number})
            return redirect("knowledge:desk_article", number=article.number)
    return render(request, "knowledge/desk/edit.html", {"form": form, "article": None})


@contributor_required
@require_http_methods(["GET", "POST"])
def desk_edit(request: HttpRequest, number: str) -> HttpResponse:
    """Desk: edit the working copy (a text change to a published article starts its next version)."""
    article = _article(request.user, number)
    if not request.user.has_perm("knowledge.edit_article", article):
        raise PermissionDenied
    form = ArticleForm(request.POST or None, request.FILES or None, initial=ArticleForm.initial_for(article))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_article(article=article, actor=request.user, **form.article_fields())
            if form.cleaned_data["files"]:
                services.attach_files(article=article, actor=request.user, files=form.cleaned_data["files"])
        except services.ArticleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(number)s was saved.") % {"number": article.number})
            return redirect("knowledge:desk_article", number=article.number)
    return render(request, "knowledge/desk/edit.html", {"form": form, "article": article})


def _can(user, article: Article) -> dict[str, bool]:
    """Which actions the page offers (the services check again)."""
    state = article.state
    editable = user.has_perm("knowledge.edit_article", article)
    reviewer = user.has_perm("knowledge.review_article", article)
    return {
        "edit": editable,
        "submit": editable and state == ArticleState.DRAFT,
        "comment": state in (ArticleState.DRAFT, ArticleState.IN_REVIEW)
        and user.has_perm("knowledge.comment_on_review", article),
        "send_back": state == ArticleState.IN_REVIEW and user.has_perm("knowledge.review_this_article", article),
        "publish": reviewer
        and (
            state == ArticleState.DRAFT
            or (state == ArticleState.IN_REVIEW and user.has_perm("knowledge.review_this_article", article))
        ),
        "start_revision": editable and state == ArticleState.PUBLISHED,
        "retire": state != ArticleState.RETIRED and user.has_perm("knowledge.retire_article", article),
        "restore": state == ArticleState.RETIRED and user.has_perm("knowledge.retire_article", article),
        "flag": state != ArticleState.RETIRED and user.has_perm("knowledge.flag_article", article),
        "clear_flag": article.flagged and user.has_perm("knowledge.clear_flag", article),
    }


@contributor_required
@require_GET
def desk_article(request: HttpRequest, number: str) -> HttpResponse:
    """Desk: the working copy with its state, the actions the engineer may take, its history and versions."""
    article = _article(request.user, number)
    article = (
        Article.objects.select_related("published_version", "owner")
        .prefetch_related(
            "categories", "tags", "services", Prefetch("attachments", queryset=ArticleAttachment.objects.all())
        )
        .get(pk=article.pk)
    )
    return render(
        request,
        "knowledge/desk/article.html",
        {
            "article": article,
            "can": _can(request.user, article),
            "events": article.events.select_related("actor"),
            "versions": selectors.versions_of(article),
            "text_form": TextForm(),
            "publish_form": PublishForm(),
        },
    )


@contributor_required
@require_POST
def desk_remove_attachment(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """Desk: take a file off an article; refusals come back as a message and change nothing."""
    article = _article(request.user, number)
    attachment = get_object_or_404(ArticleAttachment, pk=pk, article=article)
    if report_outcome(request, lambda: services.remove_attachment(attachment=attachment, actor=request.user)):
        messages.success(request, _("%(file)s removed.") % {"file": attachment.filename})
    return redirect("knowledge:desk_article", number=article.number)


# What each action button posts to: the service, and whether it takes the form's text.
ACTIONS = {
    "submit": (services.submit_for_review, None, gettext_lazy("Submitted for review.")),
    "comment": (services.comment_on_review, "text", gettext_lazy("Comment added.")),
    "send_back": (services.send_back, "text", gettext_lazy("Sent back to the author.")),
    "publish": (services.publish_article, "change_note", gettext_lazy("Published.")),
    "start_revision": (services.start_revision, None, gettext_lazy("A new version was started.")),
    "retire": (services.retire_article, "reason", gettext_lazy("Retired.")),
    "restore": (services.restore_article, None, gettext_lazy("Restored as a draft.")),
    "flag": (services.flag_article, "reason", gettext_lazy("Flagged for its owner.")),
    "clear_flag": (services.clear_flag, None, gettext_lazy("Flag cleared.")),
}


@contributor_required
@require_POST
def desk_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Desk: one lifecycle action on an article; refusals come back as a message, and change nothing."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    article = _article(request.user, number)
    service, text_arg, done = ACTIONS[action]
    arguments = {}
    if text_arg:
        arguments[text_arg] = request.POST.get("text", "")[:4000]
    if report_outcome(request, lambda: service(article=article, actor=request.user, **arguments)):
        messages.success(request, f"{article.number}: {done}")
    return redirect("knowledge:desk_article", number=article.number)


@contributor_required
@require_GET
def desk_version(request: HttpRequest, number: str, version: int) -> HttpResponse:
    """Desk: one published version and what changed from the one before it."""
    article = _article(request.user, number)
    found = selectors.versions_of(article).filter(number=version).first()
    if found is None:
        raise Http404("No such version.")
    return render(
        request,
        "knowledge/desk/version.html",
        {"article": article, "version": found, "diff": selectors.version_diff(found)},
    )


@contributor_required
@require_GET
def desk_contributions(request: HttpRequest) -> HttpResponse:
    """Desk: articles written, reviewed, and tickets solved by them, per engineer and per group, in a period."""
    if not request.user.has_perm("knowledge.see_contribution"):
        raise PermissionDenied
    form = PeriodForm(request.GET)
    report = selectors.contribution(form.period()) if form.is_valid() else None
    return render(request, "knowledge/desk/contributions.html", {"form": form, "report": report})


# -- the panel on desk tickets -----------------------------------------------------------------------


def _panel_article(request: HttpRequest) -> Article:
    value = request.POST.get("article", "")
    article = selectors.visible_articles(request.user).filter(pk=value).first() if value.isdigit() else None
    if article is None:
        raise Http404("No such article.")
    return article


@desk_required
@require_POST
def ticket_link(request: HttpRequest, number: str) -> HttpResponse:
    """Desk ticket panel: link an article to the ticket ("Solved by this" marks it solved)."""
    ticket = ticket_for_user(request.user, number, surface="desk")
    article = _panel_article(request)
    solved = request.POST.get("solved") == "1"
    if report_outcome(
        request, lambda: services.link_to_ticket(article=article, ticket=ticket, actor=request.user, solved=solved)
    ):
        text = _("%(ticket)s marked solved by %(article)s.") if solved else _("%(article)s linked to %(ticket)s.")
        messages.success(request, text % {"ticket": ticket.number, "article": article.number})
    return redirect("servicedesk:desk_ticket", number=ticket.number)


@desk_required
@require_POST
def ticket_unlink(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_for_user(request.user, number, surface="desk")
    article = _panel_article(request)
    if report_outcome(request, lambda: services.unlink(article=article, ticket=ticket, actor=request.user)):
        messages.success(request, _("%(article)s unlinked.") % {"article": article.number})
    return redirect("servicedesk:desk_ticket", number=ticket.number)


@desk_required
@require_POST
def ticket_draft(request: HttpRequest, number: str) -> HttpResponse:
    """Desk ticket panel: capture a resolved ticket as a draft article, then edit it."""
    ticket = ticket_for_user(request.user, number, surface="desk")
    if ticket.is_open:
        messages.error(request, _("Draft an article once the ticket is resolved."))
        return redirect("servicedesk:desk_ticket", number=ticket.number)
    drafted = []
    if report_outcome(request, lambda: drafted.append(services.draft_from_ticket(ticket=ticket, actor=request.user))):
        messages.success(request, _("%(number)s was drafted from the ticket.") % {"number": drafted[0].number})
        return redirect("knowledge:desk_edit", number=drafted[0].number)
    return redirect("servicedesk:desk_ticket", number=ticket.number)
