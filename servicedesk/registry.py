"""The one explicit registry between the core and the practices.

A practice app registers its ticket kind and its change listeners here from its
AppConfig.ready(); the core never imports a practice. Listeners are called by
`services.commit_ticket_change` inside the transaction that changed the ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

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
    extra: Mapping[str, object] = field(default_factory=dict)

    def state(self, code: str) -> StateInfo:
        return self.states.get(code) or StateInfo(label=code, public_label=code)

    @property
    def open_states(self) -> frozenset[str]:
        return frozenset(code for code, info in self.states.items() if info.is_open)


class ChangeListener(Protocol):
    def __call__(self, *, ticket: Ticket, events: list[TicketEvent]) -> None: ...


_kinds: dict[str, TicketKind] = {}
_listeners: list[ChangeListener] = []


def register_kind(kind: TicketKind) -> None:
    if kind.code in _kinds and _kinds[kind.code] != kind:
        raise ValueError(f"ticket kind {kind.code!r} is already registered")
    if any(k.prefix == kind.prefix and k.code != kind.code for k in _kinds.values()):
        raise ValueError(f"ticket number prefix {kind.prefix!r} is already used")
    _kinds[kind.code] = kind


def get_kind(code: str) -> TicketKind:
    try:
        return _kinds[code]
    except KeyError:
        raise LookupError(f"unknown ticket kind {code!r}") from None


def all_kinds() -> Iterable[TicketKind]:
    return tuple(_kinds.values())


def register_listener(listener: ChangeListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def unregister_listener(listener: ChangeListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def listeners() -> tuple[Callable[..., None], ...]:
    return tuple(_listeners)
