"""Knowledge fixtures: two Knowledge Editors, articles made through the services, and the search index stubbed.

`knowledge.search.index_article` is replaced by a recorder: these tests check when the services ask for the
index to be refreshed, not what search stores (tests/knowledge/test_search*.py do that).
"""

import pytest

from knowledge import services
from servicedesk import roles
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def indexed(monkeypatch):
    """The articles handed to the search index, in order (as (pk, is_live) pairs)."""
    calls: list[tuple[int, bool]] = []
    monkeypatch.setattr("knowledge.search.index_article", lambda article: calls.append((article.pk, article.is_live)))
    return calls


@pytest.fixture
def kate(db):
    """A Knowledge Editor (reviews and publishes; not a desk engineer)."""
    return UserFactory(username="kate", first_name="Kate", roles=[roles.KNOWLEDGE_EDITOR])


@pytest.fixture
def ken(db):
    """A second Knowledge Editor, who is also an L2 engineer."""
    return UserFactory(username="ken", first_name="Ken", roles=[roles.KNOWLEDGE_EDITOR, roles.AGENT_L2])


@pytest.fixture
def draft(lin):
    """lin's draft about the VPN, public."""
    return services.create_article(
        author=lin,
        title="Connect to the VPN",
        summary="Install the client and sign in.",
        body="1. Install the client.\n2. Sign in with your account.\n",
        tags=["VPN", "remote work"],
    )


@pytest.fixture
def published(draft, lin, kate):
    """lin's VPN article, reviewed and published by kate (version 1)."""
    services.submit_for_review(article=draft, actor=lin)
    services.publish_article(article=draft, actor=kate, change_note="First version")
    return type(draft).objects.get(pk=draft.pk)


@pytest.fixture
def internal(lin, kate):
    """lin's internal article on the firewall, published directly by kate."""
    article = services.create_article(
        author=lin, title="Reset the firewall cluster", body="Fail over, then reboot node B.", audience="internal"
    )
    services.publish_article(article=article, actor=kate)
    return type(article).objects.get(pk=article.pk)
