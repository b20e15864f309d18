"""The Simplified Chinese catalogue is complete, keeps every placeholder, and the pages really switch language."""

import io
import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from .factories import PASSWORD

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# %(name)s / %(limit)d (python-format), positional %s, and brace placeholders ({name}, {{ name }}).
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%[sdif]|\{\{\s*[\w.|:]+\s*\}\}|\{\w*\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


@pytest.fixture
def compiled_catalogue():
    """The .mo is git-ignored: compile it as the bootstrap does, and make Django reload its catalogues."""
    call_command("compile_translations", stdout=io.StringIO())
    trans_real._translations = {}
    trans_real._default = None
    yield
    translation.deactivate()


def _placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


def _translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def test_catalogue_is_fully_translated(catalogue):
    active = [entry for entry in catalogue if not entry.obsolete]
    assert active, "the catalogue is empty: run makemessages"
    assert catalogue.percent_translated() == 100, [entry.msgid for entry in catalogue.untranslated_entries()]
    assert not catalogue.fuzzy_entries(), [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not catalogue.metadata_is_fuzzy


def test_plural_forms_fit_chinese(catalogue):
    assert catalogue.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    for entry in catalogue:
        if entry.msgid_plural:
            assert list(entry.msgstr_plural) == [0], entry.msgid


def test_every_translation_keeps_the_placeholders(catalogue):
    broken = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        expected = _placeholders(entry.msgid)
        if entry.msgid_plural:
            expected |= _placeholders(entry.msgid_plural)
        for msgstr in _translations(entry):
            if _placeholders(msgstr) != expected:
                broken.append((entry.msgid, msgstr))
    assert not broken


@pytest.mark.django_db
def test_login_page_renders_in_chinese(client, compiled_catalogue):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in html
    assert "<title>登录</title>" in html
    assert "忘记密码？" in html


@pytest.mark.django_db
def test_login_page_stays_english_by_default(client, compiled_catalogue):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Forgot your password?" in html
    assert not CJK.search(html.replace("简体中文", ""))


@pytest.mark.django_db
def test_portal_home_renders_in_chinese(client, alice, incident, compiled_catalogue):
    client.login(username="alice", password=PASSWORD)
    html = client.get(reverse("servicedesk:portal_home"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "有什么可以帮您？" in html
    assert "报告问题" in html
    assert "我的工单" in html
    assert "已受理：等待工程师处理" in html
