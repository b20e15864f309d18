"""Routing of incidents: assignment rules pick the group, then an engineer inside it.

The group: the first active rule (by `order`) whose set conditions all match, else the default group.
The engineer: an active member with a skill the incident's subcategory (else its category) asks for, with the
fewest open incidents; ties go round-robin (the one routing served longest ago in this group, then by username).

Concurrency: "the least loaded, round-robin on ties" reads what other transactions write, so two reports routed
into one group at the same moment could both pick the same engineer. `pick_engineer` therefore locks the group's
row first (SELECT … FOR NO KEY UPDATE, held until the routing transaction ends): routers into one group take
turns, and each one, reading after the lock (READ COMMITTED), sees the incidents and ledger rows its predecessor
committed. FOR NO KEY UPDATE rather than FOR UPDATE: it does not block the FOR KEY SHARE that foreign-key checks
take, so tickets can still be created in or moved to the group meanwhile; only routers wait, each for
milliseconds. Routers into different groups do not wait for each other.

Reasons are stored as text, so they are written in the site's language (settings.LANGUAGE_CODE), as the outbox
emails are, whoever's browser language triggered the routing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from servicedesk.models import AssignmentGroup, Skill, Ticket

from .choices import IncidentState
from .models import AssignmentRule, Incident, RoutingLedger

# The default group is the desk's triage queue: an incident no rule recognised waits there, New, for an L1 engineer
# to take it (and its requester may still cancel it while it is New). Rules that name a group, the default one
# included, do get an engineer picked. True picks an engineer in the fallback too.
ASSIGN_ENGINEER_IN_DEFAULT_GROUP = False


@dataclass(frozen=True)
class Pick:
    """The engineer routing chose inside a group (or None) and why, as a sentence fragment."""

    engineer: object | None
    reason: str


def route_new_incident(incident: Incident) -> None:
    """Choose the group, the engineer and the reason of an unsaved incident (New, or Assigned when someone is picked).

    Runs inside the transaction that saves the incident: the group lock taken here must last until the insert.
    A group chosen before routing is kept (only an engineer is looked for); so is an assignee given with it.
    """
    with translation.override(settings.LANGUAGE_CODE):
        if incident.assignment_group_id is not None:
            group = incident.assignment_group
            reason = _("Group %(group)s was chosen when the incident was recorded") % {"group": group}
            find_engineer = incident.assignee_id is None
        else:
            choice = choose_group(incident)
            group, reason = choice.group, choice.reason
            find_engineer = group is not None and (choice.rule is not None or ASSIGN_ENGINEER_IN_DEFAULT_GROUP)
            incident.assignment_group = group
        if find_engineer:
            pick = pick_engineer(group=group, incident=incident)
            incident.assignee = pick.engineer
            reason = f"{reason}; {pick.reason}"
        incident.routing_reason = f"{reason}."
    if incident.assignee_id is not None and incident.state == IncidentState.NEW:
        # Through the state machine, not by writing the protected field: its source and condition still hold.
        incident.mark_assigned()


# -- the group ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupChoice:
    """The group routing chose, the rule that chose it (None for the default group), and why in words."""

    group: AssignmentGroup | None
    rule: AssignmentRule | None
    reason: str


def choose_group(incident: Incident) -> GroupChoice:
    """The group of the first matching active rule, else the default group; with the reason in words."""
    text = f"{incident.title}\n{incident.description}".casefold()
    rules = AssignmentRule.objects.filter(is_active=True, group__is_active=True).select_related(
        "group", "category", "subcategory", "service"
    )
    for rule in rules.order_by("order", "pk"):
        matched = matched_conditions(rule, incident, text)
        if matched is None:
            continue
        values = {"rule": rule.name, "order": rule.order, "group": rule.group}
        if matched:
            values["conditions"] = ", ".join(matched)
            reason = _("Rule '%(rule)s' (order %(order)d) matched %(conditions)s → %(group)s") % values
        else:
            reason = _("Rule '%(rule)s' (order %(order)d) matches every incident → %(group)s") % values
        return GroupChoice(rule.group, rule, reason)
    default = AssignmentGroup.objects.filter(is_default=True, is_active=True).first()
    if default is None:
        return GroupChoice(None, None, _("No assignment rule matched and there is no default group"))
    if ASSIGN_ENGINEER_IN_DEFAULT_GROUP:
        reason = _("No assignment rule matched → default group %(group)s")
    else:
        reason = _("No assignment rule matched → default group %(group)s, where an engineer takes it from the queue")
    return GroupChoice(default, None, reason % {"group": default})


def matched_conditions(rule: AssignmentRule, incident: Incident, text: str) -> list[str] | None:
    """The rule's set conditions in words when all of them match the incident, None when one does not."""
    matched = []
    if rule.category_id is not None:
        if rule.category_id != incident.category_id:
            return None
        matched.append(_("category %(name)s") % {"name": rule.category.name})
    if rule.subcategory_id is not None:
        if rule.subcategory_id != incident.subcategory_id:
            return None
        matched.append(_("subcategory %(name)s") % {"name": rule.subcategory.name})
    if rule.service_id is not None:
        if rule.service_id != incident.affected_service_id:
            return None
        matched.append(_("service %(name)s") % {"name": rule.service.name})
    if rule.channel:
        if rule.channel != incident.channel:
            return None
        matched.append(_("channel %(name)s") % {"name": rule.get_channel_display()})
    keywords = rule.keyword_list()
    if keywords:
        word = next((word for word in keywords if word.casefold() in text), None)
        if word is None:
            return None
        matched.append(_("keyword '%(word)s'") % {"word": word})
    return matched


# -- the engineer ------------------------------------------------------------------------------------


def pick_engineer(*, group: AssignmentGroup, incident: Incident) -> Pick:
    """Choose the member to give the incident to and record the choice in the ledger (under the group's lock)."""
    # Serialises routers into this group until the caller's transaction ends (see the module docstring).
    AssignmentGroup.objects.select_for_update(no_key=True).filter(pk=group.pk).values_list("pk", flat=True).get()
    members = list(group.members.filter(is_active=True).order_by("username"))
    if not members:
        return Pick(None, _("the group has no active members, so nobody was assigned"))
    candidates, skill_of, missing = _skilled(members, incident)
    load = dict(
        Ticket.objects.filter(kind=Incident.KIND, is_open=True, assignee__in=candidates)
        .values("assignee")
        .annotate(n=Count("pk"))
        .values_list("assignee", "n")
    )
    ledger = dict(RoutingLedger.objects.filter(group=group).values_list("user_id", "last_assigned_at"))

    def turn(user) -> tuple:
        served = ledger.get(user.pk)
        # Never served comes first; then the one served longest ago; then by username.
        return (load.get(user.pk, 0), served is not None, served.timestamp() if served else 0.0, user.get_username())

    candidates.sort(key=turn)
    chosen = candidates[0]
    _record_turn(group, chosen, ledger)
    tied = sum(1 for user in candidates if load.get(user.pk, 0) == load.get(chosen.pk, 0))
    return Pick(chosen, _engineer_reason(chosen, skill_of.get(chosen.pk), load.get(chosen.pk, 0), tied, missing))


def _skilled(members: list, incident: Incident) -> tuple[list, dict[int, str], list[str]]:
    """The members with a skill the subcategory asks for, else the category; else everyone.

    Returns the candidates, the skill each candidate has (by user id), and the skills nobody had (for the reason).
    """
    wanted_sets = [
        list(category.skills.order_by("name"))
        for category in (incident.subcategory, incident.category)
        if category is not None
    ]
    wanted_sets = [skills for skills in wanted_sets if skills]
    for skills in wanted_sets:
        holders: dict[int, str] = {}
        rows = Skill.agents.through.objects.filter(skill__in=skills, user__in=members).values_list(
            "user_id", "skill__name"
        )
        for user_id, name in rows.order_by("skill__name"):
            holders.setdefault(user_id, name)
        if holders:
            return [m for m in members if m.pk in holders], holders, []
    missing = [skill.name for skill in wanted_sets[0]] if wanted_sets else []
    return list(members), {}, missing


def _record_turn(group: AssignmentGroup, user, ledger: dict) -> None:
    """Upsert the ledger row; strictly after the group's latest turn even if this server's clock lags another's."""
    now = timezone.now()
    if ledger:
        now = max(now, max(ledger.values()) + timedelta(microseconds=1))
    RoutingLedger.objects.bulk_create(
        [RoutingLedger(group=group, user=user, last_assigned_at=now)],
        update_conflicts=True,
        unique_fields=["group", "user"],
        update_fields=["last_assigned_at"],
    )


def _engineer_reason(user, skill: str | None, load: int, tied: int, missing: list[str]) -> str:
    values = {"name": user.get_full_name() or user.get_username(), "skill": skill, "count": load}
    if skill:
        reason = _("%(name)s has the skill %(skill)s and the fewest open incidents (%(count)d)") % values
    else:
        reason = _("%(name)s has the fewest open incidents (%(count)d)") % values
    if tied > 1:
        reason += ngettext(
            ", next in turn among %(tied)d engineer with as few",
            ", next in turn among %(tied)d engineers with as few",
            tied,
        ) % {"tied": tied}
    if missing:
        nobody = _("nobody in the group has the skill the incident asks for (%(skills)s)")
        reason = f"{nobody % {'skills': ', '.join(missing)}}; {reason}"
    return reason
