"""Demo data: people, roles, support groups, a few tickets, the catalog, the knowledge base and the CMDB estate;
`--tickets N` adds N more tickets for benchmarks."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cmdb.models import CIType, ConfigurationItem
from demo import catalog, knowledge
from demo.cmdb import seed_cmdb
from incidents.choices import ResolutionCode
from incidents.models import AssignmentRule, Category
from incidents.services import report_incident, resolve_incident, take_incident
from servicedesk import roles
from servicedesk.models import AssignmentGroup, CannedResponse, Skill, Ticket
from servicedesk.registry import get_kind
from servicedesk.services import add_comment, reserve_ticket_numbers

# Bulk requesters cannot log in: they only give the benchmark realistic spreads.
UNUSABLE_PASSWORD = make_password(None)

PEOPLE = [
    # username, first, last, roles, superuser
    ("alice", "Alice", "Wang", [roles.REQUESTER], False),
    ("bob", "Bob", "Li", [roles.REQUESTER], False),
    ("lin", "Lin", "Chen", [roles.AGENT_L1], False),
    ("lee", "Lee", "Zhang", [roles.AGENT_L2], False),
    ("mona", "Mona", "Liu", [roles.SERVICE_DESK_MANAGER], False),
    ("admin", "Ada", "Admin", [roles.ADMINISTRATOR], True),
]

GROUPS = [
    # name, description, manager, members, default
    ("Service Desk", "First line: takes every call, solves what it can, routes the rest.", "mona", ["lin"], True),
    ("Network Operations", "LAN, WAN, Wi-Fi, VPN and firewalls.", "mona", ["lee"], False),
    ("Server & Storage", "Linux and Windows servers, virtualisation, backup, storage.", "mona", ["lee"], False),
    ("Business Applications", "ERP, CRM, HR and finance systems.", "mona", ["lee"], False),
]

DEMO_TICKETS = [
    # requester, title, description, what the desk has done with it so far
    (
        "alice",
        "Cannot connect to the office Wi-Fi",
        "Since this morning my laptop does not see **CORP-WIFI** on the 3rd floor.",
        "new",
    ),
    (
        "alice",
        "Outlook keeps asking for my password",
        "It pops up every few minutes, even after I type the right password.",
        "resolved",
    ),
    (
        "bob",
        "Printer on floor 2 prints blank pages",
        "The HP printer next to the kitchen prints empty pages for every job.",
        "in_progress",
    ),
    (
        "bob",
        "VPN disconnects every 10 minutes",
        "Working from home; the VPN client drops and reconnects all the time.",
        "routed",
    ),
]

SKILLS = {"Networking": ["lee"], "Windows": ["lin"], "Linux": ["lee"], "ERP": ["lee"]}

CATEGORIES = {
    # category: (skills that route to the right engineer, subcategories)
    "Network": (["Networking"], ["Wi-Fi", "VPN", "Wired network"]),
    "Hardware": (["Windows"], ["Laptop", "Printer", "Monitor"]),
    "Software": (["Windows"], ["Email", "Office", "ERP"]),
    "Access": ([], ["Password", "Permissions"]),
}

CONFIGURATION_ITEMS = [
    ("Email", CIType.BUSINESS_SERVICE),
    ("ERP", CIType.BUSINESS_SERVICE),
    ("Remote access (VPN)", CIType.BUSINESS_SERVICE),
    ("Office Wi-Fi", CIType.BUSINESS_SERVICE),
    ("mail01", CIType.SERVER),
    ("erp-db01", CIType.DATABASE),
    ("vpn-gw01", CIType.NETWORK_DEVICE),
]

RULES = [
    # order, name, keywords, group
    (10, "VPN", "vpn", "Network Operations"),
    (20, "ERP and business systems", "erp, sap, crm", "Business Applications"),
    (30, "Servers and storage", "server, backup, disk full", "Server & Storage"),
]

CANNED_RESPONSES = [
    (
        "Restart first",
        "Hello {requester},\n\nplease restart your computer and tell us in {number} whether the problem is still "
        "there.\n\n{agent}, {group}",
    ),
    (
        "Need the error text",
        "Hello {requester},\n\nto find the cause of {number} we need the exact error message: a screenshot is "
        "best.\n\n{agent}",
    ),
]

TITLES = [
    "Cannot log in to the ERP system",
    "Laptop is very slow after the update",
    "Email not syncing on phone",
    "VPN connection drops",
    "Printer shows paper jam but no paper is stuck",
    "Shared drive is not accessible",
    "Monitor flickers",
    "Teams calls have no sound",
    "Password expired and cannot be reset",
    "Website returns error 500",
    "Wi-Fi is unstable in meeting room B",
    "Excel crashes when opening a file",
    "Cannot access the HR portal",
    "Keyboard keys not working",
    "Request to restore a deleted file",
    "Database backup job failed",
    "Server disk almost full",
    "Certificate warning on the intranet",
    "Phone line has static noise",
    "Calendar invites not received",
]


class Command(BaseCommand):
    help = (
        "Load demo people, groups, tickets, catalog and knowledge base (idempotent). "
        "--tickets N adds N bulk tickets for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the database already has users.")
        parser.add_argument("--tickets", type=int, default=0, help="Add this many realistic tickets in bulk.")
        parser.add_argument("--requesters", type=int, default=2000, help="End users to spread bulk tickets over.")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run under the production profile.")
        if options["if_empty"] and get_user_model().objects.exists():
            self.stdout.write("Demo data: the database already has users; nothing loaded.")
            return
        password = os.environ.get("DEMO_PASSWORD", "demo")
        with transaction.atomic():
            people = self._people(password)
            groups = self._groups(people)
            self._incident_configuration(people)
            self._demo_tickets(people)
            catalog.seed_catalog(people, groups)
            knowledge.seed_knowledge(people)
            seed_cmdb(people)
        self.stdout.write(
            self.style.SUCCESS("Demo people, groups, tickets, catalog, knowledge base and CMDB estate are in place.")
        )
        if options["tickets"]:
            self._bulk_tickets(options["tickets"], options["requesters"], options["seed"])

    def _people(self, password: str) -> dict:
        User = get_user_model()
        people = {}
        for username, first, last, role_names, superuser in PEOPLE + catalog.PEOPLE + knowledge.PEOPLE:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
            )
            if created:
                user.set_password(password)
            user.is_staff = user.is_superuser = superuser
            user.save()
            user.groups.add(*Group.objects.filter(name__in=role_names))
            people[username] = user
        return people

    def _groups(self, people: dict) -> dict[str, AssignmentGroup]:
        groups = {}
        for name, description, manager, members, default in GROUPS:
            group, _ = AssignmentGroup.objects.get_or_create(
                name=name, defaults={"description": description, "manager": people[manager], "is_default": default}
            )
            group.members.add(*(people[m] for m in members))
            groups[name] = group
        return groups

    def _incident_configuration(self, people: dict) -> None:
        """Skills, categories, services, assignment rules and canned responses a desk starts with."""
        skills = {}
        for name, agents in SKILLS.items():
            skills[name], _ = Skill.objects.get_or_create(name=name)
            skills[name].agents.add(*(people[a] for a in agents))
        for name, (skill_names, subcategories) in CATEGORIES.items():
            category, _ = Category.objects.get_or_create(name=name, parent=None)
            category.skills.add(*(skills[s] for s in skill_names))
            for sub in subcategories:
                Category.objects.get_or_create(name=sub, parent=category)
        for name, ci_type in CONFIGURATION_ITEMS:
            ConfigurationItem.objects.get_or_create(name=name, ci_type=ci_type)
        for order, name, keywords, group in RULES:
            AssignmentRule.objects.get_or_create(
                name=name,
                defaults={"order": order, "keywords": keywords, "group": AssignmentGroup.objects.get(name=group)},
            )
        for title, body in CANNED_RESPONSES:
            CannedResponse.objects.get_or_create(title=title, defaults={"body": body})

    def _demo_tickets(self, people: dict) -> None:
        """A few tickets at different points of their life, each made through the services."""
        lin = people["lin"]
        for username, title, description, story in DEMO_TICKETS:
            requester = people[username]
            if Ticket.objects.filter(requester=requester, title=title).exists():
                continue
            incident = report_incident(actor=requester, title=title, description=description)
            if story in ("in_progress", "resolved"):
                incident = take_incident(incident=incident, actor=lin)
                add_comment(ticket=incident, author=lin, body="Looking at it now.", internal=False)
                add_comment(ticket=incident, author=lin, body="Checked the logs on the server side.", internal=True)
            if story == "resolved":
                resolve_incident(
                    incident=incident,
                    actor=lin,
                    code=ResolutionCode.SOLVED_PERMANENTLY,
                    notes="Your saved credentials were out of date; I cleared them. Please confirm it is fixed.",
                )
            # "routed": the VPN assignment rule sends it to Network Operations by itself.

    def _bulk_tickets(self, count: int, requester_count: int, seed: int) -> None:
        """Insert `count` incidents with SQL set operations: a million take a few minutes, not hours."""
        User = get_user_model()
        existing = set(User.objects.filter(username__startswith="user").values_list("username", flat=True))
        new_users = [
            User(
                username=f"user{i:05d}",
                first_name="User",
                last_name=f"{i:05d}",
                email=f"user{i:05d}@example.com",
                password=UNUSABLE_PASSWORD,
            )
            for i in range(1, requester_count + 1)
            if f"user{i:05d}" not in existing
        ]
        User.objects.bulk_create(new_users, batch_size=5000)
        requester_ids = list(User.objects.filter(username__startswith="user").values_list("id", flat=True))
        requester_ids += list(User.objects.filter(username__in=["alice", "bob"]).values_list("id", flat=True))
        # The desk's support groups only: the catalog's approver groups (Finance Approvers …) take no incidents.
        support_groups = [name for name, *_rest in GROUPS]
        groups = list(AssignmentGroup.objects.filter(name__in=support_groups).prefetch_related("members"))
        group_ids = [g.id for g in groups]
        member_of = {g.id: [m.id for m in g.members.all()] or [None] for g in groups}
        agents = [member_of[g][0] for g in group_ids]
        kind = get_kind("incident")
        batch = 100_000
        done = 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
            while done < count:
                size = min(batch, count - done)
                with transaction.atomic():
                    first = reserve_ticket_numbers(kind, size)[0]
                    start = int(first[len(kind.prefix) :])
                    cursor.execute(
                        _BULK_SQL,
                        {
                            "prefix": kind.prefix,
                            "start": start,
                            "size": size,
                            "titles": TITLES,
                            "requesters": requester_ids,
                            "groups": group_ids,
                            "agents": agents,
                        },
                    )
                done += size
                self.stdout.write(f"  {done:,} / {count:,} tickets")
            cursor.execute(
                "ANALYZE servicedesk_ticket; ANALYZE incidents_incident; ANALYZE servicedesk_ticketevent;"
                " ANALYZE servicedesk_comment;"
            )
        self.stdout.write(self.style.SUCCESS(f"Added {count:,} tickets."))


# One batch: tickets with realistic spreads (about 8 % open, priorities skewed low, open ones recent),
# their incident rows, a "created" event each, and 0-3 comments with their events.
_BULK_SQL = """
WITH params AS (
    SELECT %(titles)s::text[] AS titles, %(requesters)s::bigint[] AS requesters,
           %(groups)s::bigint[] AS groups, %(agents)s::bigint[] AS agents
), raw AS (
    SELECT g AS n, random() AS r_state, random() AS r_prio, random() AS r_age, random() AS r_pick,
           random() AS r_group, random() AS r_req
    FROM generate_series(0, %(size)s - 1) AS g
), shaped AS (
    SELECT n, r_pick, r_group, r_req,
        CASE WHEN r_state < 0.02 THEN 'new' WHEN r_state < 0.03 THEN 'assigned'
             WHEN r_state < 0.07 THEN 'in_progress' WHEN r_state < 0.08 THEN 'on_hold'
             WHEN r_state < 0.12 THEN 'resolved' WHEN r_state < 0.15 THEN 'cancelled' ELSE 'closed' END AS state,
        CASE WHEN r_prio < 0.02 THEN 1 WHEN r_prio < 0.10 THEN 2 WHEN r_prio < 0.40 THEN 3
             WHEN r_prio < 0.90 THEN 4 ELSE 5 END AS priority,
        r_age
    FROM raw
), timed AS (
    SELECT *, now() - (CASE WHEN state IN ('new', 'assigned', 'in_progress', 'on_hold') THEN r_age * 30
                            ELSE 30 + r_age * 700 END)
              * interval '1 day' AS created
    FROM shaped
), inserted AS (
    INSERT INTO servicedesk_ticket (number, kind, title, description, requester_id, opened_by_id, channel,
        assignment_group_id, assignee_id, priority, state, is_open, version, created_at, updated_at, resolved_at,
        closed_at)
    SELECT %(prefix)s || lpad((%(start)s + t.n)::text, 7, '0'), 'incident',
        p.titles[1 + floor(t.r_pick * array_length(p.titles, 1))::int],
        'Reported through the demo generator.',
        p.requesters[1 + floor(t.r_req * array_length(p.requesters, 1))::int],
        p.requesters[1 + floor(t.r_req * array_length(p.requesters, 1))::int],
        (ARRAY['portal', 'email', 'phone', 'monitoring'])[1 + floor(t.r_group * 4)::int],
        p.groups[1 + floor(t.r_group * array_length(p.groups, 1))::int],
        CASE WHEN t.state = 'new' THEN NULL
             ELSE p.agents[1 + floor(t.r_group * array_length(p.groups, 1))::int] END,
        t.priority, t.state, t.state IN ('new', 'assigned', 'in_progress', 'on_hold'), 1, t.created,
        t.created + interval '2 hours',
        CASE WHEN t.state IN ('resolved', 'closed') THEN t.created + interval '1 hour' END,
        CASE WHEN t.state IN ('closed', 'cancelled') THEN t.created + interval '2 hours' END
    FROM timed t CROSS JOIN params p
    RETURNING id, state, priority, requester_id, assignee_id, created_at
), incidents AS (
    INSERT INTO incidents_incident (ticket_ptr_id, impact, urgency, priority_overridden, on_hold_reason,
        resolution_code, resolution_notes, reopen_count, routing_reason, is_major, major_announcement)
    SELECT id,
           (ARRAY[1, 1, 2, 2, 3])[priority], (ARRAY[1, 2, 2, 3, 3])[priority], false,
           CASE WHEN state = 'on_hold' THEN 'awaiting_caller' ELSE '' END,
           CASE WHEN state IN ('resolved', 'closed') THEN 'permanent' ELSE '' END,
           CASE WHEN state IN ('resolved', 'closed') THEN 'Fixed and confirmed with the user.' ELSE '' END, 0,
           '', false, ''
    FROM inserted
    RETURNING ticket_ptr_id
), created_events AS (
    INSERT INTO servicedesk_ticketevent (ticket_id, kind, actor_id, created_at, field, old_value, new_value,
        old_display, new_display, reason, is_public)
    SELECT id, 'created', requester_id, created_at, '', '', '', '', '', '', true FROM inserted
    RETURNING id
), comments AS (
    INSERT INTO servicedesk_comment (ticket_id, author_id, body, is_internal, time_spent_minutes, created_at)
    SELECT i.id, CASE WHEN c %% 2 = 1 OR i.assignee_id IS NULL THEN i.requester_id ELSE i.assignee_id END,
        CASE WHEN c %% 2 = 1 THEN 'Any update on this? It is still happening.'
             ELSE 'Checked the logs; working on it.' END,
        c %% 2 = 0 AND i.assignee_id IS NOT NULL,
        CASE WHEN c %% 2 = 0 AND i.assignee_id IS NOT NULL THEN 15 ELSE 0 END,
        i.created_at + c * interval '10 minutes'
    FROM inserted i CROSS JOIN LATERAL generate_series(1, (i.id %% 4)::int) AS c
    RETURNING id, ticket_id, author_id, created_at, is_internal
)
INSERT INTO servicedesk_ticketevent (ticket_id, kind, actor_id, created_at, field, old_value, new_value,
    old_display, new_display, reason, is_public, comment_id)
SELECT ticket_id, CASE WHEN is_internal THEN 'work_note' ELSE 'comment' END, author_id, created_at,
    '', '', '', '', '', '', NOT is_internal, id
FROM comments
"""
