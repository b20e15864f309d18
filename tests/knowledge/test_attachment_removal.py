"""Taking a file off an article: the article's editors may, nobody else; the file leaves storage only after commit."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from knowledge import services
from knowledge.models import ArticleAttachment, ArticleEvent
from knowledge.services import ArticleError
from tests.factories import upload

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def attachment(published, lin):
    (file,) = services.attach_files(article=published, actor=lin, files=[upload("old-steps.pdf", PDF_BYTES)])
    return file


def _remove_url(attachment):
    return reverse("knowledge:desk_remove_attachment", args=[attachment.article.number, attachment.pk])


def test_the_owner_removes_a_file_and_the_history_says_so(attachment, lin, django_capture_on_commit_callbacks):
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(attachment=attachment, actor=lin)

    assert not ArticleAttachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.exists(name)
    event = ArticleEvent.objects.filter(article=attachment.article).last()
    assert (event.kind, event.text) == (ArticleEvent.Kind.EDITED, "Removed old-steps.pdf")


def test_someone_who_may_not_edit_the_article_cannot_remove_its_file(attachment, lee, alice):
    for person in (lee, alice):
        with pytest.raises(PermissionDenied):
            services.remove_attachment(attachment=attachment, actor=person)
    assert ArticleAttachment.objects.filter(pk=attachment.pk).exists()
    assert attachment.file.storage.exists(attachment.file.name)


def test_a_retired_articles_files_stay_until_it_is_restored(attachment, lin):
    services.retire_article(article=attachment.article, actor=lin, reason="Replaced by the new VPN client")

    with pytest.raises(ArticleError, match="restore it before editing"):
        services.remove_attachment(attachment=attachment, actor=lin)
    assert ArticleAttachment.objects.filter(pk=attachment.pk).exists()


def test_the_desk_button_removes_the_file(login, lin, attachment):
    response = login(lin).post(_remove_url(attachment), follow=True)

    assert response.status_code == 200
    assert not ArticleAttachment.objects.filter(pk=attachment.pk).exists()
    assert "old-steps.pdf removed." in response.content.decode()


def test_the_remove_url_refuses_others_and_get(login, lee, alice, attachment):
    assert login(lee).post(_remove_url(attachment)).status_code == 403  # an engineer, not its owner
    assert login(alice).post(_remove_url(attachment)).status_code == 403  # an end user: no knowledge desk
    assert login(lee).get(_remove_url(attachment)).status_code == 405
    assert ArticleAttachment.objects.filter(pk=attachment.pk).exists()


def test_a_file_of_another_article_is_404(login, lin, attachment, internal):
    url = reverse("knowledge:desk_remove_attachment", args=[internal.number, attachment.pk])

    assert login(lin).post(url).status_code == 404
    assert ArticleAttachment.objects.filter(pk=attachment.pk).exists()
