"""Knowledge search on PostgreSQL: stemming, Chinese segmentation, ranking, snippets, typos, filters, who sees what."""

import pytest

from knowledge import search
from knowledge.models import Article, ArticleLanguage, ArticleState, Audience

from . import factories as kb

ZH = ArticleLanguage.CHINESE


@pytest.fixture(autouse=True)
def indexed():
    """The real index here (the package's conftest stubs it for the service tests)."""
    return None


def find(query, *, internal=False, **filters):
    return search.search(query, user_can_see_internal=internal, **filters)


def titles(hits):
    return [hit.title for hit in hits]


@pytest.fixture
def printer(db):
    return kb.article(
        "Printer shows paper jam",
        "Open tray 2 and remove the jammed sheet. Then restart the printer.",
        summary="Clear a paper jam on the floor printers.",
    )


@pytest.fixture
def printer_zh(db):
    return kb.article(
        "办公室打印机故障",
        "如果打印机无法打印，请先检查纸盒，然后重新启动打印机。",
        summary="打印机常见问题的处理方法。",
        language=ZH,
    )


@pytest.fixture
def vpn_zh(db):
    return kb.article(
        "VPN 连接失败怎么办",
        "VPN连接失败时，请确认账号密码正确，并检查网络是否正常。",
        language=ZH,
    )


# --- segmentation ----------------------------------------------------------------------------------------------


def test_segment_cuts_chinese_runs_and_leaves_other_text():
    assert search.segment("打印机无法打印") == "打印 印机 打印机 无法 打印"
    assert search.segment("VPN连接失败 (error 809)") == "VPN 连接 失败 (error 809)"
    assert search.segment("Printers, not people") == "Printers, not people"


def test_headline_text_is_spaced_by_character_and_join_cjk_undoes_it():
    text = "如果打印机无法打印，请先检查纸盒。VPN连接失败。"
    spaced = search.space_cjk(text)
    assert spaced.startswith("如 果 打 印 机 无 法 打 印 ， 请 先")
    assert search.join_cjk(spaced) == "如果打印机无法打印，请先检查纸盒。VPN 连接失败。"


def test_markdown_to_text_keeps_the_words_only():
    text = search.markdown_to_text("# Fix\n\n1. Run `ipconfig /renew`\n2. See [the guide](https://x.example/)\n")
    assert text == "Fix\nRun ipconfig /renew\nSee the guide"


# --- English ---------------------------------------------------------------------------------------------------


def test_english_stemming_finds_other_forms(printer):
    assert titles(find("printers")) == [printer.title]
    assert titles(find("jammed papers")) == [printer.title]
    assert find("scanner") == []


def test_all_words_must_match_before_the_fallback(printer, db):
    kb.article("Paper sizes in the copier", "Use A4 paper.")
    assert titles(find("paper jam")) == [printer.title]


def test_title_hit_ranks_above_body_hit(db):
    body_hit = kb.article("Monitor flickers", "Check the cable; a docking station can also cause it.")
    title_hit = kb.article("Docking station not detected", "Reconnect the USB-C cable.")
    hits = find("docking station")
    assert [hit.id for hit in hits] == [title_hit.pk, body_hit.pk]
    assert hits[0].rank > hits[1].rank


def test_snippet_marks_the_match(printer):
    (hit,) = find("restart")
    assert "<mark>restart</mark> the printer" in hit.snippet
    assert hit.number == printer.number
    assert hit.summary == "Clear a paper jam on the floor printers."
    assert (hit.audience, hit.language) == (Audience.PUBLIC, ArticleLanguage.ENGLISH)


def test_html_in_the_article_is_escaped_in_the_snippet(db):
    kb.article(
        "Proxy settings",
        'Type `<script>alert("x")</script>` & <img src=x onerror=alert(1)> into the proxy box.',
    )
    (hit,) = find("proxy box")
    assert "<mark>proxy</mark>" in hit.snippet
    assert "<script" not in hit.snippet and "<img" not in hit.snippet
    assert "&amp;" in hit.snippet
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_markdown_syntax_is_not_indexed(db):
    kb.article("Links", "See [the **guide**](https://wiki.example/guide).")
    assert find("https") == []
    assert len(find("guide")) == 1


# --- Chinese ---------------------------------------------------------------------------------------------------


def test_chinese_word_finds_an_article_whose_body_has_it(printer_zh, printer):
    assert titles(find("打印机")) == [printer_zh.title]
    assert titles(find("无法打印")) == [printer_zh.title]


def test_chinese_sentence_finds_the_article_through_the_fallback(printer_zh, vpn_zh):
    hits = find("我的打印机今天早上突然不能用了，怎么办？")
    assert printer_zh.pk in [hit.id for hit in hits]
    assert hits[0].id == printer_zh.pk


def test_mixed_chinese_and_english_query(vpn_zh, printer_zh):
    assert titles(find("VPN 连接失败")) == [vpn_zh.title]
    assert titles(find("vpn连接")) == [vpn_zh.title]


def test_chinese_snippet_reads_as_written(printer_zh):
    (hit,) = find("纸盒")
    assert "请先检查<mark>纸盒</mark>，然后重新启动打印机" in hit.snippet
    # The only spaces left are the line breaks between title, summary and body (and the fragment delimiter).
    text = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    for piece in text.replace(" … ", " ").split(" "):
        assert piece in printer_zh.title or piece in printer_zh.summary or piece in printer_zh.body


def test_chinese_snippet_next_to_latin_words(vpn_zh):
    (hit,) = find("密码")
    assert "请确认账号<mark>密码</mark>正确" in hit.snippet
    assert "VPN 连接失败时" in hit.snippet


def test_adjacent_chinese_matches_are_one_highlight(vpn_zh):
    (hit,) = find("连接失败")
    assert "VPN <mark>连接失败</mark>时" in hit.snippet


def test_segmentation_spaces_only_where_words_would_glue():
    assert search.space_cjk("用WPS表格(旧版)打开") == "用 WPS 表 格(旧 版)打 开"
    assert search.join_cjk(search.space_cjk("用WPS表格(旧版)打开")) == "用 WPS 表格(旧版)打开"


def test_fallback_prefers_articles_with_two_of_the_words(db):
    one = kb.article("Scanner settings", "The scanner saves to your folder.")
    two = kb.article("Scanner and toner", "The scanner needs toner.")
    hits = find("scanner toner cartridge zebra")  # no article has them all
    assert [hit.id for hit in hits] == [two.pk, one.pk]
    # Two of the words fill the page: articles with one of them are not needed.
    assert [hit.id for hit in find("scanner toner cartridge zebra", limit=1)] == [two.pk]


def test_a_query_matching_many_articles_ranks_a_bounded_number(db, monkeypatch):
    for n in range(5):
        kb.article(f"Keyboard {n}", "Keyboard layout.")
    monkeypatch.setattr(search, "MAX_RANKED", 3)
    assert len(find("keyboard")) == 3


# --- typos -----------------------------------------------------------------------------------------------------


def test_typo_in_a_title_word_still_finds_it(printer, db):
    kb.article("Reset your password", "Use the self-service page.")
    assert titles(find("pritner")) == [printer.title]
    assert titles(find("pasword")) == ["Reset your password"]
    assert find("qwertyuiop") == []


def test_exact_title_word_ranks_above_a_typo_match(printer, db):
    other = kb.article("Painter app crashes", "The drawing app closes.")
    hits = find("printer")
    assert hits[0].id == printer.pk
    assert other.pk not in [hit.id for hit in hits[:1]]


# --- filters and visibility ----------------------------------------------------------------------------------


def test_filter_by_category_includes_sub_categories(db):
    network = kb.category("Network")
    vpn = kb.category("VPN", parent=network)
    hardware = kb.category("Hardware")
    in_vpn = kb.article("Restart the router", "Unplug it.", categories=(vpn,))
    in_network = kb.article("Router lights", "Green is fine; restart when red.", categories=(network,))
    kb.article("Restart the laptop", "Hold the button.", categories=(hardware,))
    assert {hit.id for hit in find("restart", category=network)} == {in_vpn.pk, in_network.pk}
    assert [hit.id for hit in find("restart", category=vpn.pk)] == [in_vpn.pk]


def test_filter_by_tag_and_audience(db):
    wifi = kb.tag("wifi")
    tagged = kb.article("Wi-Fi drops", "Forget the network and join again.", tags=(wifi,))
    kb.article("Network drive", "Join the network drive again.")
    internal = kb.article("Network core switch", "Join the stack again.", audience=Audience.INTERNAL)
    assert [hit.id for hit in find("join again", tag=wifi)] == [tagged.pk]
    assert [hit.id for hit in find("join again", tag=wifi.pk)] == [tagged.pk]
    assert [hit.id for hit in find("join again", internal=True, audience=Audience.INTERNAL)] == [internal.pk]
    assert internal.pk not in [hit.id for hit in find("join again", internal=True, audience=Audience.PUBLIC)]


def test_internal_articles_only_for_those_who_may_see_them(db):
    public = kb.article("Firewall ports for the portal", "Open port 443.")
    internal = kb.article("Firewall cluster failover", "Fail over to node B.", audience=Audience.INTERNAL)
    assert [hit.id for hit in find("firewall")] == [public.pk]
    assert find("failover") == []
    assert find("firewal") == [] or internal.pk not in [hit.id for hit in find("firewal")]
    assert {hit.id for hit in find("firewall", internal=True)} == {public.pk, internal.pk}
    assert [hit.id for hit in search.suggest("firewall cluster failover", user_can_see_internal=False)] == [public.pk]


def test_retired_and_never_published_articles_are_not_found(db):
    kb.article("Fax machine setup", "Dial 9 first.", state=ArticleState.RETIRED)
    kb.article("Fax machine toner", "Replace the toner.", state=ArticleState.DRAFT)
    kb.article("Fax machine paper", "Load letter paper.", state=ArticleState.IN_REVIEW)
    assert find("fax machine") == []
    assert find("fax machne") == []
    assert search.suggest("fax machine", user_can_see_internal=True) == []
    assert Article.objects.exclude(search_vector=None).count() == 0


def test_retiring_clears_the_index(printer):
    Article.objects.filter(pk=printer.pk).update(is_live=False)
    printer.is_live = False
    search.index_article(printer)
    assert find("printer") == []
    printer.refresh_from_db(fields=["search_title", "search_text", "search_vector"])
    assert (printer.search_title, printer.search_text, printer.search_vector) == ("", "", None)


def test_a_draft_of_the_next_version_is_not_searchable(printer):
    kb.revise(printer, title="Printer shows toner low", body="Order a new toner cartridge.")
    assert find("toner") == []
    assert titles(find("paper jam")) == ["Printer shows paper jam"]


def test_index_article_keeps_the_instance_in_step(printer):
    printer.refresh_from_db()
    assert printer.search_title == "Printer shows paper jam"
    assert "'printer':1A" in printer.search_vector
    printer.save()  # a full save writes back what index_article set, not stale values
    assert titles(find("jam")) == [printer.title]


# --- paging, odd queries -----------------------------------------------------------------------------------------


def test_paging(db):
    made = [kb.article(f"Badge reader {n}", "Tap the badge.") for n in range(5)]
    first, second = find("badge", limit=3), find("badge", limit=3, offset=3)
    assert len(first) == 3 and len(second) == 2
    assert {hit.id for hit in first + second} == {item.pk for item in made}


@pytest.mark.parametrize(
    "query", ["", "   ", "the and of", "'\"&|!():*<>\\", "打", "printer\x00jam", "printer " * 5000]
)
def test_odd_queries_do_not_fail(printer, printer_zh, query):
    assert isinstance(find(query), list)
    assert isinstance(search.suggest(query, user_can_see_internal=False), list)


# --- suggestions -----------------------------------------------------------------------------------------------


def test_suggest_from_an_issue_being_typed(printer, printer_zh, vpn_zh, db):
    kb.article("Reset your password", "Use the self-service page.")
    text = "Printer on floor 3 is jammed\nSince this morning every print job stops with a paper jam message."
    hits = search.suggest(text, user_can_see_internal=False)
    assert hits[0].id == printer.pk
    assert len(hits) <= 5
    zh = search.suggest("打印机坏了\n从今天早上开始打印机一直无法打印文件", user_can_see_internal=False)
    assert zh[0].id == printer_zh.pk
    assert search.suggest("pritner", user_can_see_internal=False)[0].id == printer.pk


def test_suggest_ignores_words_no_article_has(printer, db):
    hits = search.suggest("Zyxwv printer qwertz", user_can_see_internal=False)
    assert [hit.id for hit in hits] == [printer.pk]


def test_suggest_uses_the_column_statistics(db):
    from django.db import connection

    for n in range(12):
        kb.article(f"Laptop tips {n}", "Your laptop, your rules.")
    docking = kb.article("Docking station", "Plug the laptop into the docking station.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE knowledge_article")
    hits = search.suggest("My laptop does not see the docking station", user_can_see_internal=False)
    assert hits[0].id == docking.pk


def test_suggest_limit(db):
    for n in range(8):
        kb.article(f"Laptop battery {n}", "Battery drains fast.")
    assert len(search.suggest("laptop battery drains", user_can_see_internal=False)) == 5
    assert len(search.suggest("laptop battery drains", user_can_see_internal=False, limit=2)) == 2


def test_reindex_articles(printer, printer_zh, db):
    Article.objects.update(search_title="", search_text="", search_vector=None)
    retired = kb.article("Old scanner", "Gone.", state=ArticleState.RETIRED)
    Article.objects.filter(pk=retired.pk).update(search_title="Old scanner", search_text="stale")
    assert search.reindex_articles(batch_size=1) == 2
    assert titles(find("printers")) == [printer.title]
    assert titles(find("打印机")) == [printer_zh.title]
    assert Article.objects.filter(pk=retired.pk, search_title="", search_text="").exists()


def test_reindex_articles_command(printer, printer_zh):
    from io import StringIO

    from django.core.management import call_command

    Article.objects.update(search_vector=None)
    out = StringIO()
    call_command("reindex_articles", "--batch-size", "1", stdout=out)
    assert "2 live articles indexed" in out.getvalue()
    assert titles(find("打印机")) == [printer_zh.title]
