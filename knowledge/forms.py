"""Knowledge forms: they validate input and hand cleaned_data to knowledge.services (never save())."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cmdb.models import ConfigurationItem
from servicedesk.forms import MultipleFileField

from .models import ArticleLanguage, Audience, Category, Tag

MAX_QUERY = 200
MAX_TAGS = 20


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class SearchForm(forms.Form):
    """The search box and its filters (portal and desk); the desk adds the audience."""

    q = forms.CharField(label=_("Search"), max_length=MAX_QUERY, required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False, empty_label=_("All categories")
    )
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all(), required=False, empty_label=_("All tags"))
    page = forms.IntegerField(min_value=1, max_value=1000, required=False)

    def __init__(self, *args, with_audience: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_audience:
            self.fields["audience"] = forms.ChoiceField(
                label=_("Audience"), choices=[("", _("Any audience")), *Audience.choices], required=False
            )

    def filters(self) -> dict:
        """The service's keyword arguments (valid form only)."""
        data = self.cleaned_data
        return {"category": data.get("category"), "tag": data.get("tag"), "audience": data.get("audience") or None}


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"),
        choices=[("yes", pgettext_lazy("was it helpful", "Yes")), ("no", pgettext_lazy("was it helpful", "No"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(
        label=_("Tell us more (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def split_tags(text: str) -> list[str]:
    """'VPN, remote work,, vpn' → ['VPN', 'remote work', 'vpn'] (the service folds case and duplicates)."""
    return [" ".join(part.split()) for part in (text or "").split(",") if part.strip()]


class ArticleForm(forms.Form):
    """The working copy and its metadata; attachments are added after the article is saved."""

    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 14}), help_text=_("Markdown is supported.")
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices, initial=Audience.PUBLIC)
    language = forms.ChoiceField(label=_("Language"), choices=ArticleLanguage.choices)
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"), queryset=Category.objects.select_related("parent"), required=False
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=1000, required=False, help_text=_("Separated by commas, for example: VPN, Wi-Fi")
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Related services and CIs"), queryset=ConfigurationItem.objects.order_by("name"), required=False
    )
    review_by = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_tags(self) -> list[str]:
        tags = split_tags(self.cleaned_data["tags"])
        if len(tags) > MAX_TAGS:
            raise ValidationError(_("Give at most %(n)d tags.") % {"n": MAX_TAGS})
        for tag in tags:
            if len(tag) > 50:
                raise ValidationError(_("The tag %(tag)s is longer than 50 characters.") % {"tag": tag[:50] + "…"})
        return tags

    def clean_review_by(self) -> datetime.date | None:
        value = self.cleaned_data["review_by"]
        if value is not None and value < timezone.localdate():
            raise ValidationError(_("The review date must be today or later."))
        return value

    def article_fields(self) -> dict:
        """What create_article / update_article take (the files go to attach_files)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "files"}

    @staticmethod
    def initial_for(article) -> dict:
        return {
            "title": article.title,
            "summary": article.summary,
            "body": article.body,
            "audience": article.audience,
            "language": article.language,
            "categories": list(article.categories.all()),
            "tags": ", ".join(tag.name for tag in article.tags.all()),
            "services": list(article.services.all()),
            "review_by": article.review_by,
        }


class TextForm(forms.Form):
    """One required text: a review comment, what to change, why an article is retired or flagged."""

    text = forms.CharField(label=_("Text"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class PublishForm(forms.Form):
    change_note = forms.CharField(label=_("What changed (optional)"), max_length=300, required=False)


class PeriodForm(forms.Form):
    """The contribution report's period: from (included) to (included); empty means since the beginning / today."""

    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise ValidationError(_("The end of the period is before its start."))
        return data

    def period(self) -> tuple[datetime.date, datetime.date] | None:
        """(start, end excluded) for selectors.contribution; None for all time."""
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        if not start and not end:
            return None
        return (start or datetime.date(2000, 1, 1), (end or timezone.localdate()) + datetime.timedelta(days=1))
