"""The one explicit registry between the core and the practices.

A practice app registers its ticket kind and its change listeners here from its
AppConfig.ready(); the core never imports a practice. Listeners are called by
`services.commit_ticket_change` inside the transaction that changed the ticket:
those registered `before_save` just before the ticket row is written, the others after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Ticket, TicketEvent


@dataclass(frozen=True)
class StateInfo:
    """How one state of a kind reads to engineers and to end users."""

    label: str
    public_label: str
    colour: str = "secondary"
    is_open: bool = True
    # Whether reaching this state is worth an email to the requester (work starting is not).
    notify_requester: bool = True


@dataclass(frozen=True)
class BulkField:
    """One input a bulk action needs besides the rows: a resolution code, a hold reason, notes …"""

    # The keyword the action's service takes the value under.
    name: str
    label: str
    # A select when given (value, label) pairs; free text otherwise.
    choices: Sequence[tuple[str, str]] = ()
    multiline: bool = False
    required: bool = True
    max_length: int = 4000


@dataclass(frozen=True)
class BulkAction:
    """A state change a kind offers on selected desk queue rows, run row by row through the kind's own service.

    `service` is a callable `(ticket, actor, **fields)` or the dotted path of a service function taking the
    ticket under `ticket_arg` (practices name it lazily, so registering imports none of their services).
    """

    label: str
    service: str | Callable[..., object]
    fields: tuple[BulkField, ...] = ()
    ticket_arg: str = "ticket"

    def run(self, *, ticket: Ticket, actor, **values) -> object:
        service = import_string(self.service) if isinstance(self.service, str) else self.service
        return service(**{self.ticket_arg: ticket}, actor=actor, **values)


@dataclass(frozen=True)
class TicketKind:
    """A ticket kind a practice contributes: its numbering prefix, model, states and templates."""

    code: str
    prefix: str
    label: str
    model_label: str
    states: Mapping[str, StateInfo]
    initial_state: str
    tracked_fields: tuple[str, ...] = ()
    desk_actions_template: str = ""
    portal_actions_template: str = ""
    portal_create_url: str = ""
    # The portal home's button to that URL.
    portal_create_label: str = ""
    portal_create_icon: str = "plus-circle"
    extra: Mapping[str, object] = field(default_factory=dict)
    # Called on the changed ticket just before it is diffed and saved, so that a kind can keep its own
    # fields consistent with the change (e.g. an incident that gets an engineer becomes Assigned) in the
    # same save and the same batch of activity events.
    before_commit: Callable[..., None] | None = None
    # State changes offered on selected queue rows, by code (see `register_bulk_actions`).
    bulk_actions: Mapping[str, BulkAction] = field(default_factory=dict)
    # False for internal work items (fulfilment tasks): the portal never lists or shows them.
    portal_visible: bool = True

    def state(self, code: str) -> StateInfo:
        return self.states.get(code) or StateInfo(label=code, public_label=code)

    @property
    def open_states(self) -> frozenset[str]:
        return frozenset(code for code, info in self.states.items() if info.is_open)


class ChangeListener(Protocol):
    def __call__(self, *, ticket: Ticket, events: list[TicketEvent]) -> None: ...


_kinds: dict[str, TicketKind] = {}
_listeners: list[ChangeListener] = []
_before_save: list[ChangeListener] = []


def register_kind(kind: TicketKind) -> None:
    if kind.code in _kinds and _kinds[kind.code] != kind:
        raise ValueError(f"ticket kind {kind.code!r} is already registered")
    if any(k.prefix == kind.prefix and k.code != kind.code for k in _kinds.values()):
        raise ValueError(f"ticket number prefix {kind.prefix!r} is already used")
    _kinds[kind.code] = kind


def register_bulk_actions(code: str, actions: Mapping[str, BulkAction]) -> None:
    """Add bulk state actions to a registered kind (a practice calls this from its AppConfig.ready())."""
    kind = get_kind(code)
    _kinds[code] = dataclasses.replace(kind, bulk_actions={**kind.bulk_actions, **actions})


def get_kind(code: str) -> TicketKind:
    try:
        return _kinds[code]
    except KeyError:
        raise LookupError(f"unknown ticket kind {code!r}") from None


def all_kinds() -> Iterable[TicketKind]:
    return tuple(_kinds.values())


def portal_hidden_kinds() -> frozenset[str]:
    return frozenset(code for code, kind in _kinds.items() if not kind.portal_visible)


def register_listener(listener: ChangeListener, *, before_save: bool = False) -> None:
    """Have the core call `listener(ticket=…, events=…)` in every ticket change's transaction.

    A `before_save` listener runs once the change's events are built (actor and time set, not yet written) and
    before the ticket row is saved, so what it sets on the ticket's own columns goes into that one UPDATE; it
    must not change other tickets (the others run after the save and may). A new ticket is saved before any
    listener runs (it needs its id): there, a `before_save` listener writes what it sets on the ticket itself.
    """
    chosen = _before_save if before_save else _listeners
    if listener not in chosen:
        chosen.append(listener)


def unregister_listener(listener: ChangeListener) -> None:
    for chosen in (_listeners, _before_save):
        if listener in chosen:
            chosen.remove(listener)


def listeners(*, before_save: bool = False) -> tuple[Callable[..., None], ...]:
    return tuple(_before_save if before_save else _listeners)


# -- banners -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Banner:
    """A notice above the portal's pages for one user (an open major incident that affects them …)."""

    key: str
    heading: str
    status: str = ""
    text: str = ""
    # Where the user can read more; empty when they may not open the ticket behind it.
    url: str = ""
    colour: str = "warning"


class BannerProvider(Protocol):
    def __call__(self, user) -> Iterable[Banner]: ...


_banner_providers: list[BannerProvider] = []


def register_banner_provider(provider: BannerProvider) -> None:
    """A practice adds banners to the portal (from its AppConfig.ready()); keep each provider to one query."""
    if provider not in _banner_providers:
        _banner_providers.append(provider)


def unregister_banner_provider(provider: BannerProvider) -> None:
    if provider in _banner_providers:
        _banner_providers.remove(provider)


def banner_providers() -> tuple[BannerProvider, ...]:
    return tuple(_banner_providers)


def banners_for(user) -> list[Banner]:
    """Every registered provider's banners for this user, in registration order."""
    return [banner for provider in _banner_providers for banner in provider(user)]


# -- ticket page panels --------------------------------------------------------------------------------

# Templates other apps add to every ticket page, per surface ("desk" or "portal"): the SLA clocks, say.
# Each is included with the page's context (`ticket`, `user`); keep each to a query or two.
_panels: dict[str, list[str]] = {"desk": [], "portal": []}


def register_ticket_panel(surface: str, template: str) -> None:
    if template not in _panels[surface]:
        _panels[surface].append(template)


def ticket_panels(surface: str) -> tuple[str, ...]:
    return tuple(_panels[surface])
