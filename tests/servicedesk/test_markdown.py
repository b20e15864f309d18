"""User text is Markdown, rendered and sanitized: no script, event handler or javascript: URL survives."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from servicedesk.markdown import render_markdown
from servicedesk.services import add_comment
from tests.factories import report

MARKER = "xss-probe"

PAYLOADS = {
    "script-tag": f"<script>alert('{MARKER}')</script>",
    "script-mixed-case": f"<ScRiPt>alert('{MARKER}')</sCrIpT>",
    "script-in-code-span": f"`<script>alert('{MARKER}')</script>`",
    "img-onerror": f'<img src="x" onerror="alert(\'{MARKER}\')">',
    "svg-onload": f"<svg onload=alert('{MARKER}')></svg>",
    "body-onload": f"<body onload=alert('{MARKER}')>",
    "iframe": f'<iframe src="https://evil.example/{MARKER}"></iframe>',
    "link-javascript": f"[click me](javascript:alert('{MARKER}'))",
    "link-javascript-case": f"[click me](JaVaScRiPt:alert('{MARKER}'))",
    "link-javascript-entity": f"[click me](jav&#x09;ascript:alert('{MARKER}'))",
    "link-javascript-autolink": f"<javascript:alert('{MARKER}')>",
    "link-data-url": f"[click me](data:text/html;base64,{MARKER})",
    "link-vbscript": f"[click me](vbscript:msgbox('{MARKER}'))",
    "image-javascript": f"![pic](javascript:alert('{MARKER}'))",
    "html-anchor-javascript": f"<a href=\"javascript:alert('{MARKER}')\">x</a>",
    "link-title-breakout": f'[x](https://ok.example "a\\" onmouseover=\\"alert(\'{MARKER}\')")',
    "style-tag": f"<style>body {{ background: url('{MARKER}') }}</style>",
    "form-tag": f'<form action="https://evil.example/{MARKER}"><input name="pw"></form>',
}


class Tags(HTMLParser):
    """Collect every start tag with its attributes, and the text inside script and style elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_script = tag in {"script", "style"}

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text += data


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def dangerous(html: str) -> list[str]:
    """Everything in the HTML that would run or load the payload (empty for safe HTML)."""
    found = []
    parsed = parse(html)
    for tag, attrs in parsed.tags:
        if tag in {"script", "style", "iframe", "object", "embed", "form", "input", "svg", "body"}:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}>")
            if name in {"href", "src", "action", "formaction"}:
                url = "".join(value.split()).lower()
                if url.startswith(("javascript:", "vbscript:", "data:")):
                    found.append(f"<{tag} {name}={value}>")
    if MARKER in parsed.script_text:
        found.append("payload inside a script")
    return found


def dangerous_with_marker(html: str) -> list[str]:
    """Like `dangerous`, for a whole page: only what carries the payload counts (the page has its own scripts)."""
    found = []
    parsed = parse(html)
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            if MARKER not in value:
                continue
            url = "".join(value.split()).lower()
            if name.startswith("on") or url.startswith(("javascript:", "vbscript:", "data:")):
                found.append(f"<{tag} {name}={value}>")
            if tag in {"script", "iframe", "form", "style"}:
                found.append(f"<{tag} {name}={value}>")
    if MARKER in parsed.script_text:
        found.append("payload inside a script or style element")
    return found


@pytest.mark.parametrize("name", PAYLOADS)
def test_render_markdown_neutralizes(name):
    html = render_markdown(PAYLOADS[name])

    assert dangerous(html) == [], html


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>bold?</b>") == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>\n"


def test_markdown_still_formats():
    html = render_markdown("**bold** and [a link](https://example.com)\n\n- one\n- two")

    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">a link</a>' in html
    assert "<li>one</li>" in html


def test_empty_text_renders_empty():
    assert render_markdown("") == render_markdown(None) == ""


def test_the_checks_catch_unsanitized_html():
    assert dangerous(f"<img src=x onerror=alert('{MARKER}')>") == ["<img onerror>"]
    assert dangerous(f"<a href=' JavaScript:alert(1)'>{MARKER}</a>") != []
    assert dangerous_with_marker(f"<script>alert('{MARKER}')</script>") != []


def test_the_portal_page_keeps_every_payload_harmless(login, alice, lin, service_desk):
    """Payloads in the description, the requester's reply and the engineer's reply, rendered in one page."""
    everything = "\n\n".join(PAYLOADS.values())
    incident = report(alice, title=f"<script>alert('{MARKER}')</script>", description=everything)
    add_comment(ticket=incident, author=alice, body=everything)
    add_comment(ticket=incident, author=lin, body=everything)

    for client, url in (
        (login(alice), reverse("servicedesk:portal_ticket", args=[incident.number])),
        (login(lin), reverse("servicedesk:desk_ticket", args=[incident.number])),
    ):
        html = client.get(url).content.decode()

        # The page's own scripts and forms are fine; nothing that carries the payload is.
        assert html.count(MARKER) > 0
        assert dangerous_with_marker(html) == []
