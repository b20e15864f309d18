"""Knowledge search: PostgreSQL full-text search over the published text, Chinese segmented with jieba at index time.

Why jieba and not pg_trgm for Chinese: PostgreSQL's parser takes a run of Hanzi for one "word" (a whole clause
becomes one lexeme), and pg_trgm's handling of Hanzi depends on the database's LC_CTYPE (under a "C" locale it
drops them). So every run of CJK characters is cut into words by jieba before PostgreSQL sees it, at index time
and at query time alike, and the 'english' configuration does the rest (stemming, stop words, ranking, headlines).
Trigrams stay, for what they are good at: the typo-tolerant title match ("pritner" finds "Printer …").

What is stored (columns of `Article`, published text only, kept by `index_article`):
- `search_title`: the published title as written (the trigram index, partial on `is_live`);
- `search_vector`: title (weight A), summary (B) and body (C), each `segment()`-ed: CJK runs replaced by jieba's
  `cut_for_search` words (words and the shorter words inside them: "打印机" → "打印 印机 打印机", so that a
  query for "打印" finds it);
- `search_text`: title, summary and body as plain text with a space between CJK characters (`space_cjk`), for
  `ts_headline`. Words would not do there: jieba cuts "账号密码" as one word in precise mode, so a headline
  over words could not find "密码" in it; over characters, the query's Chinese words become phrases of their
  characters, the headline finds them wherever they are, and removing the spaces gives the text back as written.

Queries, one SQL statement each:
- search: the AND of the query's words, ranked by ts_rank_cd (cover density: words close together count more).
  When no article holds them all, the fallback: articles with two of its most significant words (rarest first,
  by the element statistics ANALYZE keeps for the vector column), then, if those are fewer than a page, any one
  of them (within a frequency budget), ranked by ts_rank over all its words (cheaper than ts_rank_cd with many
  words) — a whole Chinese sentence still finds articles; and the titles like the query (trigram
  word_similarity >= TITLE_SIMILARITY: typos). Score = text rank (title A > summary B > body C, normalised to
  [0, 1)) + half the title similarity.
- suggest: the fallback's two steps on the issue's text, and the titles like its first line when the words find
  too few.
Ranking reads each matching article's vector, so at most MAX_RANKED articles are ranked per query (a word in half
the articles costs what a rarer one does). After a change to jieba's dictionary run `manage.py reindex_articles`.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from .models import NUMBER_PREFIX, Article, ArticleVersion, Audience, Category

CONFIG = "english"
# Rank weights for {D, C, B, A}: body (C) 0.2, summary (B) 0.4, title (A) 1.0.
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# 32: rank / (rank + 1), so that a text rank lies in [0, 1) and can be added to a title similarity.
RANK_NORMALIZATION = 32
# Typo-tolerant title match: word_similarity(query, title) at least this. A swap of two letters inside a 7-letter
# word ("pritner") keeps 3 of its 8 trigrams: 0.375; pg_trgm's default of 0.6 needs nearly the right spelling.
TITLE_SIMILARITY = 0.35
# The similarity counts half as much as a text rank: an exact title word (similarity 1) adds 0.5.
TITLE_SIMILARITY_WEIGHT = 0.5
# Longer texts are cut (an issue's description pasted whole: its beginning says enough, jieba need not cut it all).
MAX_QUERY_CHARS = 2000
# Longer queries are not titles: a trigram match of a sentence against a title says little and costs much.
TITLE_QUERY_MAX_CHARS = 64
# The fallback (search) and suggest match the query's significant words: the rarest first (ANALYZE's statistics),
# none in more than COMMON_WORD of the articles. First any two of the PAIR_TERMS rarest (15 pairs: an article with
# two of an issue's rare words answers it better than one with one of them); if that finds fewer than a page, any
# one of the OR_MAX_TERMS rarest, stopping once those are in FREQUENCY_BUDGET of the articles (summed).
PAIR_TERMS = 6
OR_MAX_TERMS = 10
COMMON_WORD = 0.1
FREQUENCY_BUDGET = 0.05
# Ranking (and highlighting) in those cases uses up to this many of the query's words, common ones included.
RANK_TERMS = 16
# Suggestions need five good answers fast: a tighter budget and fewer articles ranked.
SUGGEST_FREQUENCY_BUDGET = 0.02
SUGGEST_MAX_RANKED = 1000
# Ranking reads each matching article's vector (a few microseconds each): a query matching more articles than this
# ranks the first MAX_RANKED it meets (so "error" costs what a rarer word does; its order is then approximate).
MAX_RANKED = 2000
# Snippet: up to two fragments of 10-30 words (a Chinese character counts as a word: 30 characters).
# ShortWord=0: the default (3) trims words of up to 3 letters off a fragment's ends, i.e. every Chinese character.
SNIPPET_OPTIONS = 'MaxFragments=2, MinWords=10, MaxWords=30, ShortWord=0, FragmentDelimiter=" … "'
REINDEX_BATCH = 500

# Highlight marks ts_headline puts around a match: private-use characters, stripped from the indexed text, so
# that after escaping the whole snippet they are the only thing turned into <mark> tags.
_START, _STOP = "\ue000", "\ue001"
_NO_MARKS = str.maketrans("", "", _START + _STOP)
# CJK ideographs (with extensions A–G and compatibility ideographs): the characters jieba cuts into words.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# The same test in PostgreSQL's regular expressions (the BMP ranges: enough to tell a Chinese lexeme).
_SQL_CJK = "'[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff]'"
# Runs of CJK text: ideographs, CJK punctuation and full-width forms (a "C" locale takes "，" for a letter, so it
# must be spaced from the words around it too). Between two of these a space is segmentation's, not the author's.
_CJK_PUNCTUATION = "\u3000-\u303f\uff00-\uffef"
_CJK_TEXT = _CJK + _CJK_PUNCTUATION
_CJK_RUN = re.compile(f"[{_CJK_TEXT}]+")
_SEGMENTATION_SPACE = re.compile(
    # spaces (not line breaks) between two CJK characters, and next to CJK punctuation (full-width: it needs no
    # space), highlight marks allowed in between
    f"(?:(?<=[{_CJK_TEXT}])|(?<=[{_CJK_TEXT}][{_START}{_STOP}])) +(?=[{_START}{_STOP}]?[{_CJK_TEXT}])"
    f"|(?:(?<=[{_CJK_PUNCTUATION}])|(?<=[{_CJK_PUNCTUATION}][{_START}{_STOP}])) +"
    f"| +(?=[{_START}{_STOP}]?[{_CJK_PUNCTUATION}])"
)
_MARKED_CJK = re.compile(f"{_START}([{_CJK}]+){_STOP}")
_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


@dataclass(frozen=True, slots=True)
class Hit:
    """One article found: what a result list shows. `snippet` is safe HTML (the text escaped, matches in <mark>)."""

    id: int
    number: str
    title: str
    summary: str
    snippet: SafeString
    rank: float
    audience: str
    language: str


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """The search columns of one article, before PostgreSQL turns the segmented parts into a weighted vector."""

    title: str
    text: str
    title_words: str
    summary_words: str
    body_words: str


# --- text ---------------------------------------------------------------------------------------------------


@functools.cache
def _jieba():
    """jieba, loaded once per process and quietly (its dictionary takes 1-2 s; the cache in the temp dir helps)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _replace_cjk_runs(text: str, pieces) -> str:
    """Every CJK run replaced by its pieces joined by spaces, with a space on either side unless there is one."""
    text = text.translate(_NO_MARKS)
    if not _CJK_RUN.search(text):
        return text

    def glues(char: str) -> bool:
        # A letter or digit next to a run would make one word of both for PostgreSQL's parser ("VPN连接"); so would
        # any non-ASCII character under a "C" locale, which takes them all for letters.
        return char.isalnum() or ord(char) > 127

    def spaced(run: re.Match) -> str:
        before = " " if run.start() > 0 and glues(text[run.start() - 1]) else ""
        after = " " if run.end() < len(text) and glues(text[run.end()]) else ""
        return before + " ".join(pieces(run.group())) + after

    return _CJK_RUN.sub(spaced, text)


def segment(text: str) -> str:
    """The text with every run of CJK characters replaced by its jieba words for search (`cut_for_search`).

    Other text is left as it is ("VPN连接失败" → "VPN 连接 失败"). For the index and for queries.
    """
    return _replace_cjk_runs(text, lambda run: _jieba().cut_for_search(run))


def space_cjk(text: str) -> str:
    """The text with a space between CJK characters (what headlines are cut from); `join_cjk` undoes it."""
    return _replace_cjk_runs(text, lambda run: run)


def join_cjk(text: str) -> str:
    """Remove the spaces segmentation put between CJK characters (and around the highlight marks between them)."""
    return _SEGMENTATION_SPACE.sub("", text)


def markdown_to_text(text: str) -> str:
    """The words of a Markdown text without its syntax: paragraphs, items and cells on lines of their own."""
    parts: list[str] = []
    for token in _markdown.parse(text or ""):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in {"text", "code_inline", "image"}:
                    parts.append(child.content)
                elif child.type in {"softbreak", "hardbreak"}:
                    parts.append("\n")
        elif token.type in {"fence", "code_block"}:
            parts.append(token.content)
        elif token.nesting == -1 and token.block:
            parts.append("\n")
    return _BLANK_LINES.sub("\n", "".join(parts)).strip()


def document(*, title: str, summary: str, body: str) -> SearchDocument:
    """The search columns for one published text (body in Markdown)."""
    body_text = markdown_to_text(body)
    return SearchDocument(
        title=title,
        text="\n".join(space_cjk(part) for part in (title, summary, body_text) if part),
        title_words=segment(title),
        summary_words=segment(summary),
        body_words=segment(body_text),
    )


# --- index --------------------------------------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def write_documents(rows: Sequence[tuple[int, SearchDocument]]) -> dict[int, str]:
    """Fill the search columns of these articles in one UPDATE; returns each article's new vector (as text)."""
    if not rows:
        return {}
    values = ", ".join(["(%s::bigint, %s, %s, %s, %s, %s)"] * len(rows))
    params: list = []
    for pk, doc in rows:
        params += [pk, doc.title, doc.text, doc.title_words, doc.summary_words, doc.body_words]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_table(Article)} AS a
            SET search_title = d.title, search_text = d.text,
                search_vector = setweight(to_tsvector('{CONFIG}', d.title_words), 'A')
                    || setweight(to_tsvector('{CONFIG}', d.summary_words), 'B')
                    || setweight(to_tsvector('{CONFIG}', d.body_words), 'C')
            FROM (VALUES {values}) AS d (id, title, text, title_words, summary_words, body_words)
            WHERE a.id = d.id
            RETURNING a.id, a.search_vector::text
            """,  # noqa: S608
            params,
        )
        return dict(cursor.fetchall())


def _clear(where: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_table(Article)} SET search_title = '', search_text = '', search_vector = NULL
            WHERE ({where}) AND (search_vector IS NOT NULL OR search_title <> '' OR search_text <> '')
            """,  # noqa: S608
            params,
        )
        return cursor.rowcount


def index_article(article: Article) -> None:
    """Fill the article's search columns from its published version, or clear them when readers cannot see it.

    One UPDATE; the instance gets the new values too, so that a later full save() does not write stale ones back.
    """
    version = article.published_version if article.is_live and article.published_version_id else None
    if version is None:
        _clear("id = %s", [article.pk])
        article.search_title, article.search_text, article.search_vector = "", "", None
        return
    doc = document(title=version.title, summary=version.summary, body=version.body)
    vectors = write_documents([(article.pk, doc)])
    article.search_title, article.search_text = doc.title, doc.text
    article.search_vector = vectors.get(article.pk)


def reindex_articles(*, batch_size: int = REINDEX_BATCH, progress=None) -> int:
    """Index every live article again (after a dictionary change), in batches; clear the others. Returns the count."""
    _clear("NOT is_live")
    live = Article.objects.filter(is_live=True, published_version__isnull=False).order_by("pk")
    done, last = 0, 0
    while True:
        batch = list(live.filter(pk__gt=last).values_list("pk", "published_version_id")[:batch_size])
        if not batch:
            return done
        versions = ArticleVersion.objects.in_bulk([version for _pk, version in batch])
        rows = [
            (pk, document(title=v.title, summary=v.summary, body=v.body))
            for pk, version_id in batch
            if (v := versions.get(version_id))
        ]
        with transaction.atomic():
            write_documents(rows)
        done += len(rows)
        last = batch[-1][0]
        if progress:
            progress(done)


# --- queries ------------------------------------------------------------------------------------------------
#
# The SQL is put together from constants, table names and the filters' fixed conditions (hence the noqa: S608);
# every value from a user goes in as a query parameter. One statement per call, of these parts (a = the article):
#   categories      the category filter and everything below it (only with that filter)
#   query_words     the query's lexemes (stemmed; Chinese segmented by segment() beforehand)
#   picked          its most significant lexemes: the rarest first, by ANALYZE's element statistics
#   and_hits        articles with all the query's words (search only)
#   pair_hits       else, articles with two of the picked words (pair_query: any two)
#   or_hits         and if those are fewer than a page, articles with any picked word within the budget (or_query)
#   title_hits      titles like the query (trigrams), when the words find nothing (search) or too few (suggest)
#   page            the hits scored, ordered and cut to the page
#   headline        the words to highlight: the query's (AND) or the picked ones
# and the final SELECT, which cuts headlines for the page's articles only.


def _quoted(lexeme_sql: str) -> str:
    """SQL: a lexeme as a tsquery operand (quoted)."""
    return f"'''' || replace(replace({lexeme_sql}, '\\', '\\\\'), '''', '''''') || ''''"


_PICKED = f"""
    common (lexeme, freq) AS (
        SELECT e.lexeme, e.freq
        FROM pg_stats s
        CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e (lexeme, freq)
        WHERE s.schemaname = current_schema() AND s.tablename = %(table)s AND s.attname = 'search_vector'
    ),
    present AS (
        -- the query's words that are in some article (those the statistics do not list are looked up: rare or
        -- absent), rarest first, longer first among equals
        SELECT w.lexeme, {_quoted("w.lexeme")} AS term, coalesce(c.freq, 0) AS freq,
            row_number() OVER (ORDER BY coalesce(c.freq, 0), length(w.lexeme) DESC, w.pos) AS n
        FROM query_words w
        LEFT JOIN common c ON c.lexeme = w.lexeme
        WHERE c.freq IS NOT NULL OR EXISTS (
            SELECT 1 FROM {_table(Article)} a WHERE a.search_vector @@ ({_quoted("w.lexeme")})::tsquery
        )
    ),
    picked AS (
        SELECT lexeme, term, row_number() OVER o AS n, sum(freq) OVER o AS spent
        FROM present WHERE freq <= %(common_word)s
        WINDOW o AS (ORDER BY n)
    ),
    any_query (q) AS (SELECT string_agg(term, ' | ')::tsquery FROM present WHERE n <= %(rank_terms)s),
    pair_query (q) AS (
        SELECT string_agg(x.term || ' & ' || y.term, ' | ')::tsquery
        FROM picked x JOIN picked y ON x.n < y.n AND y.n <= %(pair_terms)s
    ),
    or_query (q) AS (
        SELECT string_agg(term, ' | ')::tsquery FROM picked
        WHERE n <= %(max_terms)s AND (n = 1 OR spent <= %(budget)s)
    ),"""  # noqa: S608

# A headline term: an English lexeme as it is, a Chinese one as the phrase of its characters (search_text is spaced
# by character); single Chinese characters (的, 了, 是 …) are left out when there is anything else.
_HEADLINE = f"""
    headline (q, marks) AS (
        SELECT
            coalesce(
                string_agg(
                    CASE WHEN lexeme ~ {_SQL_CJK}
                    THEN '''' || array_to_string(regexp_split_to_array(lexeme, ''), ''' <-> ''') || ''''
                    ELSE {_quoted("lexeme")} END,
                    ' | '
                ) FILTER (WHERE length(lexeme) > 1 OR lexeme !~ {_SQL_CJK} OR only_single),
                ''
            )::tsquery,
            array_agg(lexeme) FILTER (WHERE lexeme ~ {_SQL_CJK} AND (length(lexeme) > 1 OR only_single))
        FROM (
            SELECT lexeme, bool_and(length(lexeme) = 1 AND lexeme ~ {_SQL_CJK}) OVER () AS only_single
            FROM headline_words
        ) h
    )"""  # noqa: S608


def _filters(*, user_can_see_internal: bool, category, tag, audience: str | None, params: dict) -> tuple[str, str]:
    """SQL conditions on `a` (visibility and filters), and the categories CTE when filtering by category."""
    conditions = ["a.is_live"]
    ctes = ""
    if not user_can_see_internal:
        conditions.append("a.audience = %(public)s")
        params["public"] = str(Audience.PUBLIC)
    if audience:
        conditions.append("a.audience = %(audience)s")
        params["audience"] = str(audience)
    if category is not None:
        params["category"] = getattr(category, "pk", category)
        ctes = f"""
            categories (id) AS (
                SELECT %(category)s::bigint
                UNION SELECT c.id FROM {_table(Category)} c JOIN categories ON c.parent_id = categories.id
            ),"""  # noqa: S608
        through = _table(Article.categories.through)
        conditions.append(
            f"EXISTS (SELECT 1 FROM {through} ac WHERE ac.article_id = a.id AND ac.category_id IN (TABLE categories))"  # noqa: S608
        )
    if tag is not None:
        params["tag"] = getattr(tag, "pk", tag)
        through = _table(Article.tags.through)
        conditions.append(
            f"EXISTS (SELECT 1 FROM {through} at WHERE at.article_id = a.id AND at.tag_id = %(tag)s)"  # noqa: S608
        )
    return " AND ".join(conditions), ctes


def _ranked(name: str, *, match: str, rank: str, filters: str, when: str = "true", function: str = "ts_rank") -> str:
    """SQL: a CTE of the articles matching the tsquery of CTE `match`, ranked by that of CTE `rank`.

    At most `max_ranked` of them: ranking reads each one's vector.
    """
    return f"""
        {name} AS (
            SELECT m.id, {function}(%(weights)s, m.search_vector, (SELECT q FROM {rank}), {RANK_NORMALIZATION}) AS rank
            FROM (
                SELECT a.id, a.search_vector
                FROM {match} t JOIN {_table(Article)} a ON a.search_vector @@ t.q
                WHERE {when} AND {filters}
                LIMIT %(max_ranked)s
            ) AS m
        ),"""  # noqa: S608


def _any_words(filters: str, when: str) -> str:
    """SQL: pair_hits (two of the picked words), then or_hits (any of them) if those are fewer than a page."""
    return _ranked("pair_hits", match="pair_query", rank="any_query", filters=filters, when=when) + _ranked(
        "or_hits",
        match="or_query",
        rank="any_query",
        filters=filters,
        when=f"{when} AND (SELECT count(*) FROM pair_hits) < %(limit)s",  # noqa: S608
    )


def _statement(*, ctes: str, text_hits: str, headline_words: str, title_when: str | None, filters: str) -> str:
    title_hits = (
        f"""
        title_hits AS (
            SELECT a.id, word_similarity(%(title_query)s, a.search_title) AS sim
            FROM {_table(Article)} a
            WHERE {title_when} AND EXISTS (SELECT 1 FROM query_words)
                AND %(title_query)s <%% a.search_title AND {filters}
            LIMIT %(max_ranked)s
        ),"""  # noqa: S608
        if title_when
        else "title_hits AS (SELECT NULL::bigint AS id, 0::real AS sim WHERE false),"
    )
    return f"""
        WITH RECURSIVE {ctes}
        query_words AS (
            SELECT t.lexeme, t.positions[1] AS pos FROM unnest(to_tsvector('{CONFIG}', %(words)s)) AS t
        ),
        {_PICKED}
        {text_hits}
        {title_hits}
        page AS (
            SELECT id, max(rank) + %(title_weight)s * max(sim) AS score
            FROM (SELECT id, rank, 0 AS sim FROM text_hits UNION ALL SELECT id, 0, sim FROM title_hits) AS hits
            GROUP BY id
            ORDER BY score DESC, id DESC
            LIMIT %(limit)s OFFSET %(offset)s
        ),
        headline_words AS ({headline_words}),
        {_HEADLINE}
        SELECT a.id, a.search_title, v.summary, a.audience, a.language, page.score,
            ts_headline('{CONFIG}', a.search_text, h.q, %(headline_options)s), h.marks
        FROM page
        JOIN {_table(Article)} a ON a.id = page.id
        LEFT JOIN {_table(ArticleVersion)} v ON v.id = a.published_version_id
        CROSS JOIN headline h
        ORDER BY page.score DESC, page.id DESC
    """  # noqa: S608


def _params(
    params: dict,
    *,
    words: str,
    title_query: str,
    limit: int,
    offset: int,
    budget: float | None = None,
    max_ranked: int | None = None,
) -> dict:
    return {
        **params,
        "words": words,
        "title_query": title_query,
        "limit": limit,
        "offset": offset,
        "table": Article._meta.db_table,
        "weights": RANK_WEIGHTS,
        "title_weight": TITLE_SIMILARITY_WEIGHT,
        "common_word": COMMON_WORD,
        "max_terms": OR_MAX_TERMS,
        "rank_terms": RANK_TERMS,
        "pair_terms": PAIR_TERMS,
        "budget": FREQUENCY_BUDGET if budget is None else budget,
        "max_ranked": MAX_RANKED if max_ranked is None else max_ranked,
        "headline_options": f'StartSel="{_START}", StopSel="{_STOP}", {SNIPPET_OPTIONS}',
    }


def _snippet(headline: str | None, marks: list[str] | None) -> SafeString:
    """ts_headline's text made safe: the spaces between CJK characters removed, whitespace folded, Chinese words
    marked whole (the headline marked their characters), everything escaped but our marks."""
    # Line breaks (between title, summary and paragraphs) stay a space, also between Chinese characters.
    text = _MARKED_CJK.sub(r"\1", _WHITESPACE.sub(" ", join_cjk(headline or "")).strip())
    if marks:
        words = "|".join(re.escape(word) for word in sorted(set(marks), key=len, reverse=True))
        text = re.sub(words, lambda match: f"{_START}{match.group()}{_STOP}", text)
    text = text.replace(_STOP + _START, "")  # "<mark>密码</mark><mark>过期</mark>" is one highlight
    escaped = html.escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    return mark_safe(escaped)  # noqa: S308 - escaped above; the only tags are the marks put in here


def _run(sql: str, params: dict) -> list[Hit]:
    with transaction.atomic(), connection.cursor() as cursor:
        if params["title_query"]:
            # The `<%` operator (what the trigram index answers) reads its threshold from this setting.
            cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = %s", [TITLE_SIMILARITY])
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        Hit(
            id=pk,
            number=f"{NUMBER_PREFIX}{pk:07d}",
            title=title,
            summary=summary or "",
            snippet=_snippet(headline, marks),
            rank=float(score),
            audience=audience,
            language=language,
        )
        for pk, title, summary, audience, language, score, headline, marks in rows
    ]


def _clean(text: str | None) -> str:
    """The text a query is made of: at most MAX_QUERY_CHARS, without NUL (PostgreSQL refuses it)."""
    return (text or "")[:MAX_QUERY_CHARS].replace("\x00", " ").strip()


def search(
    query: str,
    *,
    user_can_see_internal: bool,
    category=None,
    tag=None,
    audience: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Hit]:
    """Live articles matching the query, best first, with highlighted snippets (one SQL statement).

    All of the query's words (stemmed, Chinese segmented); when no article has them all, two of its most
    significant words, then any one of them, and the titles like the query (typos). Internal articles only when
    `user_can_see_internal`; `category` (a Category or its id; sub-categories included), `tag` (a Tag or its
    id) and `audience` narrow the results.
    """
    query = _clean(query)
    if not query:
        return []
    params: dict = {}
    filters, ctes = _filters(
        user_can_see_internal=user_can_see_internal, category=category, tag=tag, audience=audience, params=params
    )
    text_hits = (
        f"""
        and_query (q) AS (SELECT plainto_tsquery('{CONFIG}', %(words)s)),"""  # noqa: S608
        + _ranked("and_hits", match="and_query", rank="and_query", filters=filters, function="ts_rank_cd")
        + _any_words(filters, when="NOT EXISTS (SELECT 1 FROM and_hits)")
        + """
        text_hits AS (
            SELECT id, rank FROM and_hits UNION ALL SELECT id, rank FROM pair_hits
            UNION ALL SELECT id, rank FROM or_hits
        ),"""
    )
    headline_words = """
        SELECT lexeme FROM query_words WHERE EXISTS (SELECT 1 FROM and_hits)
        UNION SELECT lexeme FROM present WHERE n <= %(rank_terms)s AND NOT EXISTS (SELECT 1 FROM and_hits)"""
    title_query = query if len(query) <= TITLE_QUERY_MAX_CHARS else ""
    sql = _statement(
        ctes=ctes,
        text_hits=text_hits,
        headline_words=headline_words,
        # Titles like the query (typos) only when its words as typed are in no article: a trigram match of
        # "paper jam" would otherwise add every title with "paper" in it.
        title_when="NOT EXISTS (SELECT 1 FROM and_hits)" if title_query else None,
        filters=filters,
    )
    return _run(sql, _params(params, words=segment(query), title_query=title_query, limit=limit, offset=offset))


def suggest(text: str, *, user_can_see_internal: bool, limit: int = 5) -> list[Hit]:
    """Articles that may answer an issue being typed (its title, then its description): best first.

    Two of the text's most significant words, or any one of them when that finds too few (ranked by all of
    them); the titles like its first line when the words find too few (a typo, a new word).
    """
    text = _clean(text)
    if not text:
        return []
    params: dict = {}
    filters, ctes = _filters(
        user_can_see_internal=user_can_see_internal, category=None, tag=None, audience=None, params=params
    )
    text_hits = (
        _any_words(filters, when="true")  # noqa: S608
        + """
        text_hits AS (SELECT id, rank FROM pair_hits UNION ALL SELECT id, rank FROM or_hits),"""
    )
    first_line = text.split("\n", 1)[0].strip()
    title_query = first_line if len(first_line) <= TITLE_QUERY_MAX_CHARS else ""
    sql = _statement(
        ctes=ctes,
        text_hits=text_hits,
        headline_words="SELECT lexeme FROM present WHERE n <= %(rank_terms)s",
        # A trigram match of a whole line costs more than the text search, and a title with the line's words
        # ranks high anyway: only when the words find too few.
        title_when="(SELECT count(*) FROM text_hits) < %(limit)s" if title_query else None,
        filters=filters,
    )
    params = _params(
        params,
        words=segment(text),
        title_query=title_query,
        limit=limit,
        offset=0,
        budget=SUGGEST_FREQUENCY_BUDGET,
        max_ranked=SUGGEST_MAX_RANKED,
    )
    return _run(sql, params)
