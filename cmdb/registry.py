"""Sections other apps add to the CI page (their tickets on this CI), without the CMDB importing them.

A practice calls ``register_ci_section`` from its AppConfig.ready() with a template and a function
``context_fn(*, ci, user) -> dict``; the CI page calls each function once and includes the template with
its answer as ``section``. Keep each function to a query or two: the page's query count must not grow with
the rows shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CISection:
    template_name: str
    context_fn: Callable[..., dict]


_sections: list[CISection] = []


def register_ci_section(template_name: str, context_fn: Callable[..., dict]) -> None:
    section = CISection(template_name, context_fn)
    if section not in _sections:
        _sections.append(section)


def ci_sections() -> tuple[CISection, ...]:
    return tuple(_sections)
