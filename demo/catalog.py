"""The demo service catalog: about twenty items in the service desk's four shelves, with order forms, approval
chains and fulfilment workflows, plus the organisation they need (departments, line managers, approver groups).

Idempotent: categories, items, groups and departments are looked up by slug or name, and an item that already
exists is left exactly as it is (an administrator may have edited it since), so a second run publishes nothing.

The laptop tells the demo's main story: alice (Engineering) orders it, carol (her line manager) approves, and lin
(Service Desk) prepares and hands it over in two steps.
"""

from django.db import transaction

from cmdb.models import CIType, ConfigurationItem
from requests_catalog.definition import publish_version
from requests_catalog.models import ApprovalStep, CatalogCategory, CatalogItem, ItemField, TaskTemplate
from servicedesk import roles
from servicedesk.models import AssignmentGroup, Department, Profile

# Extra people, in seed_demo's PEOPLE format (username, first, last, roles, superuser): seed_demo creates them with
# everyone else so that they share the demo password. hana, ivan and owen work tasks in the desk, so they are agents.
PEOPLE = [
    ("carol", "Carol", "Zhou", [roles.REQUESTER], False),
    ("fred", "Fred", "Huang", [roles.REQUESTER], False),
    ("gina", "Gina", "Xu", [roles.REQUESTER], False),
    ("hana", "Hana", "Sun", [roles.AGENT_L1], False),
    ("ivan", "Ivan", "Guo", [roles.AGENT_L2], False),
    ("owen", "Owen", "Ma", [roles.AGENT_L1], False),
    ("sam", "Sam", "Zhao", [roles.REQUESTER], False),
]

DEPARTMENTS = {"Engineering": "carol", "Finance": "fred", "HR": "hana", "Sales": "sam", "Operations": "mona"}

PROFILES = {
    # username: (department, line manager, job title); heads of department fall back to nobody
    "alice": ("Engineering", "carol", "Software Engineer"),
    "carol": ("Engineering", None, "Engineering Manager"),
    "bob": ("Sales", "sam", "Account Manager"),
    "sam": ("Sales", None, "Sales Director"),
    "fred": ("Finance", None, "Finance Controller"),
    "gina": ("Finance", "fred", "Accountant"),
    "hana": ("HR", None, "HR Business Partner"),
    "mona": ("Operations", None, "Service Desk Manager"),
    "lin": ("Operations", "mona", "Service Desk Engineer"),
    "lee": ("Operations", "mona", "Infrastructure Engineer"),
    "ivan": ("Operations", "mona", "Security Officer"),
    "owen": ("Operations", "mona", "Procurement Officer"),
}

# Approver and fulfilment groups besides seed_demo's support groups. lin stays in the Service Desk only: the desk
# shows an engineer's single group as their default, and the laptop is fulfilled there.
GROUPS = [
    # name, description, manager, members
    ("Finance Approvers", "Approves spending on behalf of Finance.", "fred", ["fred", "gina"]),
    ("HR", "People operations: contracts, onboarding, letters.", "hana", ["hana"]),
    ("IT Security", "Access reviews, firewall changes, vulnerability scans.", "ivan", ["ivan", "lee"]),
    ("Procurement", "Buys hardware, software, licences and services.", "owen", ["owen"]),
    ("Facilities", "Badges, desks and meeting rooms.", "owen", ["owen"]),
    ("Developer Platform", "Source control, build pipelines and developer tooling.", "mona", ["lee"]),
]

CONFIGURATION_ITEMS = [
    ("GitLab", CIType.APPLICATION),
    ("Microsoft 365", CIType.APPLICATION),
    ("fs01", CIType.SERVER),
    ("LT-1001", CIType.WORKSTATION),
    ("LT-1002", CIType.WORKSTATION),
]

CATEGORIES = [
    # slug, name, parent slug, icon, description
    ("infrastructure", "Infrastructure services", None, "hdd-stack", "Network, servers, storage and workstations."),
    ("network", "Network", "infrastructure", "hdd-network", "Remote access, firewall rules and Wi-Fi."),
    ("servers", "Servers", "infrastructure", "server", "Virtual servers and administrator access."),
    ("storage", "Storage", "infrastructure", "device-hdd", "File shares and restores from backup."),
    ("workstations", "Workstations", "infrastructure", "laptop", "Laptops and the devices you work on."),
    ("applications", "Application services", None, "grid-3x3-gap", "Software, business systems and dev tools."),
    ("office-software", "Office software", "applications", "window", "Desktop software and mailboxes."),
    ("business-systems", "Business systems", "applications", "briefcase", "ERP and CRM access and licences."),
    ("developer-tools", "Developer tools", "applications", "code-slash", "IDEs, licences and repositories."),
    ("business", "Business services", None, "buildings", "Finance, HR and administration."),
    ("finance", "Finance", "business", "cash-coin", "Purchases and company cards."),
    ("hr", "HR", "business", "people", "Onboarding and letters from HR."),
    ("administration", "Administration", "business", "building", "Badges, desks and offices."),
    ("support", "Support services", None, "life-preserver", "Training, consulting and technical support."),
    ("training", "Training", "support", "mortarboard", "Courses run or booked by IT."),
    ("consulting", "Consulting", "support", "chat-dots", "Advice from IT's architects and analysts."),
    ("technical-support", "Technical support", "support", "tools", "Quick fixes the service desk does for you."),
]

# Where the demo's automation posts: nothing listens there, so the task fails, retries and is handed to its group.
DEMO_WEBHOOK = "http://127.0.0.1:9/provision"

IPV4 = r"(\d{1,3}\.){3}\d{1,3}(/\d{1,2})?"
COST_CENTRE = r"\d{4}"
LAPTOP_MODELS = [("std", 'Standard 14" (i5, 16 GB)'), ("pro", 'Pro 16" (i7, 32 GB)'), ("light", 'Ultralight 13"')]


def field(key: str, label: str, field_type: str, *, choices=(), show_if=None, **settings) -> dict:
    """An ItemField row's values; choices as (value, label) pairs, show_if as (field, operator, value)."""
    row = {"key": key, "label": label, "field_type": field_type, **settings}
    if choices:
        row["choices"] = "\n".join(f"{value}|{text}" for value, text in choices)
    if show_if:
        row["show_if_field"], row["show_if_operator"], row["show_if_value"] = show_if
    return row


def step(name: str, approver: str, *, group: str = "", user: str = "", auto=None) -> dict:
    """An approval step; auto is (field, operator, value) under which it approves itself."""
    return {"name": name, "approver": approver, "group": group, "user": user, "auto": auto}


def task(number: int, title: str, *, group: str = "", instructions: str = "", webhook: dict | None = None) -> dict:
    """A fulfilment task; tasks with the same number run in parallel. Empty group: the item's fulfilment group."""
    return {"step": number, "title": title, "group": group, "instructions": instructions, "webhook": webhook}


ITEMS = [
    # -- infrastructure: network ---------------------------------------------------------------------
    {
        "slug": "vpn-access",
        "name": "Remote access (VPN)",
        "category": "network",
        "icon": "shield-lock",
        "summary": "Work from home or on the road through the company VPN.",
        "description": "A VPN profile for the **GlobalProtect** client.\n\n"
        "- Company laptops get the profile pushed automatically.\n"
        "- Personal devices need IT Security's approval and a supported, patched system.\n\n"
        "Access ends on the date you give; order again to extend it.",
        "days": 2,
        "group": "Network Operations",
        "form": [
            field(
                "device",
                "Device",
                "choice",
                required=True,
                default="company",
                choices=[("company", "Company laptop"), ("personal", "Personal device")],
            ),
            field(
                "os",
                "Operating system",
                "choice",
                required=True,
                choices=[("windows", "Windows 11"), ("macos", "macOS 14 or later"), ("linux", "Linux")],
                show_if=("device", "equals", "personal"),
            ),
            field(
                "reason",
                "What do you need to reach?",
                "textarea",
                required=True,
                min_value="20",
                help_text="Systems or shares you use from outside the office.",
            ),
            field("until", "Access until", "date", min_value="today", help_text="Empty: until you leave."),
            field("policy", "I have read the remote access policy", "checkbox", required=True),
        ],
        "approval": [
            step("Manager", "manager"),
            step("IT Security", "group_any", group="IT Security", auto=("device", "eq", "company")),
        ],
        "tasks": [
            task(1, "Create the VPN profile", instructions="Add the user to the *vpn-users* group on vpn-gw01."),
            task(2, "Send the setup guide", group="Service Desk"),
        ],
    },
    {
        "slug": "firewall-change",
        "name": "Firewall rule change",
        "category": "network",
        "icon": "router",
        "summary": "Open a port between two networks or systems.",
        "description": "Opens (or closes) traffic through the data-centre firewalls.\n\n"
        "Every rule is reviewed by **all** of IT Security and written into the firewall register. "
        "Temporary rules are removed on their expiry date.",
        "days": 3,
        "departments": ["Engineering", "Operations"],
        "group": "Network Operations",
        "form": [
            field(
                "source",
                "Source address or network",
                "text",
                required=True,
                regex=IPV4,
                regex_message="An IPv4 address or network, e.g. 10.20.0.0/16.",
            ),
            field(
                "destination",
                "Destination address or network",
                "text",
                required=True,
                regex=IPV4,
                regex_message="An IPv4 address or network, e.g. 10.30.1.15.",
            ),
            field("system", "Destination system", "ci", ci_types="server,database,network_device"),
            field("port", "Port", "number", required=True, min_value="1", max_value="65535"),
            field(
                "protocol", "Protocol", "choice", required=True, default="tcp", choices=[("tcp", "TCP"), ("udp", "UDP")]
            ),
            field("temporary", "Temporary rule", "checkbox"),
            field(
                "expires",
                "Remove on",
                "date",
                required=True,
                min_value="today",
                show_if=("temporary", "checked", "true"),
            ),
            field("justification", "Business justification", "textarea", required=True),
        ],
        "approval": [step("IT Security (every reviewer)", "group_all", group="IT Security")],
        "tasks": [
            task(1, "Implement the rule"),
            task(2, "Test the connection with the requester"),
            task(2, "Record the rule in the firewall register", group="IT Security"),
        ],
    },
    {
        "slug": "guest-wifi",
        "name": "Guest Wi-Fi voucher",
        "category": "network",
        "icon": "wifi",
        "summary": "Internet access for a visitor, valid for up to two weeks.",
        "description": "Pre-approved. The visitor receives the voucher by text message on the morning of the visit.",
        "days": 1,
        "standard": True,
        "group": "Service Desk",
        "form": [
            field("guest_name", "Visitor's name", "text", required=True, max_value="100"),
            field("company", "Visitor's company", "text"),
            field("visit_date", "First day of the visit", "date", required=True, min_value="today"),
            field("days", "Number of days", "number", required=True, default=1, min_value="1", max_value="14"),
        ],
        "tasks": [task(1, "Issue the voucher")],
    },
    # -- infrastructure: servers ---------------------------------------------------------------------
    {
        "slug": "virtual-server",
        "name": "Virtual server",
        "category": "servers",
        "icon": "hdd-rack",
        "summary": "A Linux or Windows virtual machine, monitored and backed up.",
        "description": "A virtual machine in the data centre, patched monthly.\n\n"
        "| Environment | Monitoring | Backup |\n|---|---|---|\n"
        "| Development, test | office hours | weekly |\n| Production | 24/7 | nightly |\n\n"
        "The price is per server per year. Orders of 1,000 or more also need Finance's approval.",
        "days": 5,
        "cost": "450.00",
        "max_quantity": 5,
        "group": "Server & Storage",
        "form": [
            field(
                "hostname",
                "Host name",
                "text",
                required=True,
                regex=r"[a-z][a-z0-9-]{2,30}",
                regex_message="3 to 31 lower-case letters, digits and hyphens, starting with a letter.",
            ),
            field(
                "environment",
                "Environment",
                "choice",
                required=True,
                choices=[("dev", "Development"), ("test", "Test"), ("prod", "Production")],
            ),
            field(
                "prod_reason",
                "Why production?",
                "textarea",
                required=True,
                help_text="Production servers are watched around the clock and cost more to run.",
                show_if=("environment", "equals", "prod"),
            ),
            field(
                "os",
                "Operating system",
                "choice",
                required=True,
                default="ubuntu",
                choices=[
                    ("ubuntu", "Ubuntu 24.04 LTS"),
                    ("rhel", "Red Hat Enterprise Linux 9"),
                    ("windows", "Windows Server 2022"),
                ],
            ),
            field("cpus", "CPUs", "number", required=True, default=2, min_value="1", max_value="32"),
            field("memory_gb", "Memory (GB)", "number", required=True, default=8, min_value="2", max_value="256"),
            field("disk_gb", "Disk (GB)", "number", required=True, default=80, min_value="40", max_value="4000"),
            field("service", "Business service it supports", "ci", required=True, ci_types="business_service"),
            field("backup", "Include in the backup", "checkbox", default=True),
        ],
        "approval": [
            step("Manager", "manager"),
            step("Finance", "group_any", group="Finance Approvers", auto=("total_cost", "lt", "1000")),
        ],
        "tasks": [
            task(1, "Provision the virtual machine"),
            task(2, "Add it to monitoring and backup"),
            task(2, "Run the baseline vulnerability scan", group="IT Security"),
        ],
    },
    {
        "slug": "server-access",
        "name": "Server administrator access",
        "category": "servers",
        "icon": "terminal",
        "summary": "Time-limited access to a server or database.",
        "description": "Access is granted through the privileged access gateway and recorded.\n\n"
        "Read-only access needs the platform owner only; anything more is reviewed by IT Security.",
        "days": 2,
        "group": "Server & Storage",
        "form": [
            field("person", "Who needs access", "user", required=True, help_text="Username or email address."),
            field("server", "Server or database", "ci", required=True, ci_types="server,database"),
            field(
                "level",
                "Access level",
                "choice",
                required=True,
                default="readonly",
                choices=[
                    ("readonly", "Read-only (logs, metrics)"),
                    ("operator", "Operator (restart services)"),
                    ("admin", "Full administrator"),
                ],
            ),
            field("until", "Access until", "date", required=True, min_value="today"),
            field("reason", "Reason", "textarea", required=True),
        ],
        "approval": [
            step("Platform owner", "user", user="lee"),
            step("IT Security", "group_any", group="IT Security", auto=("level", "eq", "readonly")),
        ],
        "tasks": [
            task(1, "Grant the access in the gateway"),
            task(2, "Schedule the access review", group="IT Security"),
        ],
    },
    # -- infrastructure: storage ---------------------------------------------------------------------
    {
        "slug": "file-share",
        "name": "Team file share",
        "category": "storage",
        "icon": "cloud-arrow-up",
        "summary": "A shared folder for your team on the file servers.",
        "description": "Created by the storage automation within minutes of approval. "
        "Should the automation fail, the Server & Storage team creates the share by hand.",
        "days": 2,
        "group": "Server & Storage",
        "form": [
            field(
                "share_name",
                "Share name",
                "text",
                required=True,
                regex=r"[a-z][a-z0-9-]{2,40}",
                regex_message="Lower-case letters, digits and hyphens, starting with a letter.",
            ),
            field("size_gb", "Size (GB)", "number", required=True, default=100, min_value="10", max_value="2000"),
            field("owner", "Owner", "user", required=True, help_text="Decides who may read and write."),
            field(
                "features",
                "Options",
                "multichoice",
                default=["snapshots"],
                choices=[("snapshots", "Hourly snapshots"), ("offsite", "Off-site copy"), ("audit", "Access auditing")],
            ),
            field("members", "Members", "textarea", help_text="One username per line."),
        ],
        "approval": [step("Manager", "manager")],
        "tasks": [
            task(
                1,
                "Provision the share",
                instructions="Done by the storage automation. If it hands the task over, create the share on fs01 "
                "by hand and complete this task.",
                webhook={"url": DEMO_WEBHOOK, "headers": {"X-Demo-Source": "itsm-catalog"}, "max_attempts": 3},
            ),
            task(2, "Send the share path to the owner", group="Service Desk"),
        ],
    },
    {
        "slug": "file-restore",
        "name": "Restore deleted files",
        "category": "storage",
        "icon": "arrow-counterclockwise",
        "summary": "Get back files or folders deleted in the last 90 days.",
        "description": "Pre-approved. We restore from the nightly backup; changes made since then are lost.",
        "days": 1,
        "standard": True,
        "group": "Server & Storage",
        "form": [
            field("path", "Folder or file", "text", required=True, help_text=r"e.g. \\fs01\finance\2025\budget.xlsx"),
            field("deleted_on", "Deleted on (roughly)", "date", required=True, max_value="today"),
            field("server", "File server", "ci", ci_types="server"),
            field(
                "restore_to",
                "Restore to",
                "choice",
                required=True,
                default="original",
                choices=[("original", "The original place (overwrite)"), ("alternate", "Another folder")],
            ),
            field(
                "alternate_path",
                "Folder to restore into",
                "text",
                required=True,
                show_if=("restore_to", "equals", "alternate"),
            ),
        ],
        "tasks": [task(1, "Restore from the backup")],
    },
    # -- infrastructure: workstations ----------------------------------------------------------------
    {
        "slug": "laptop",
        "name": "Standard laptop",
        "category": "workstations",
        "icon": "laptop",
        "summary": "A company laptop, imaged, encrypted and ready to use.",
        "description": "Comes with Windows 11, Microsoft 365 and the company VPN.\n\n"
        "- **Standard**: for office work.\n- **Pro**: for engineering and design; tell us why you need it.\n"
        "- **Ultralight**: for people who travel a lot.\n\nYour manager approves the order.",
        "days": 5,
        "cost": "1200.00",
        "max_quantity": 3,
        "group": "Service Desk",
        "form": [
            field("model", "Model", "choice", required=True, choices=LAPTOP_MODELS),
            field("reason", "Why the Pro model?", "textarea", required=True, show_if=("model", "equals", "pro")),
            field(
                "keyboard",
                "Keyboard layout",
                "choice",
                default="us",
                choices=[("us", "US English"), ("cn", "Chinese (Pinyin)"), ("de", "German")],
            ),
            field(
                "accessories",
                "Accessories",
                "multichoice",
                max_value="3",
                choices=[("dock", "USB-C dock"), ("headset", "Headset"), ("bag", "Laptop bag"), ("mouse", "Mouse")],
            ),
            field(
                "replaces",
                "Laptop it replaces",
                "ci",
                ci_types="workstation",
                help_text="We collect the old one when we hand over the new one.",
            ),
            field("needed_by", "Needed by", "date", min_value="today"),
        ],
        "approval": [step("Manager", "manager")],
        "tasks": [
            task(1, "Prepare the laptop", instructions="Image it with the standard build and enrol it in Intune."),
            task(2, "Hand it over", instructions="Hand it over at the desk; collect the old laptop if one is named."),
        ],
    },
    # -- applications: office software ---------------------------------------------------------------
    {
        "slug": "software-install",
        "name": "Software from the approved list",
        "category": "office-software",
        "icon": "window",
        "summary": "Install licensed software from the company's approved list.",
        "description": "Pre-approved: no approval needed. Software not on the list goes through a purchase request.",
        "days": 1,
        "standard": True,
        "group": "Service Desk",
        "form": [
            field(
                "software",
                "Software",
                "choice",
                required=True,
                choices=[
                    ("m365", "Microsoft 365 Apps"),
                    ("visio", "Microsoft Visio"),
                    ("project", "Microsoft Project"),
                    ("acrobat", "Adobe Acrobat Pro"),
                    ("zoom", "Zoom Workplace"),
                    ("7zip", "7-Zip"),
                ],
            ),
            field("computer", "Install on", "ci", ci_types="workstation"),
            field("terms", "I will use it for company work only", "checkbox", required=True),
        ],
        "tasks": [task(1, "Install the software", instructions="Push it from Intune; it appears within an hour.")],
    },
    {
        "slug": "shared-mailbox",
        "name": "Shared mailbox",
        "category": "office-software",
        "icon": "envelope-at",
        "summary": "A team address such as sales-support@example.com.",
        "description": "A mailbox several people read and send from. The owner decides who has access.",
        "days": 2,
        "group": "Service Desk",
        "form": [
            field(
                "address",
                "Address",
                "text",
                required=True,
                regex=r"[a-z0-9][a-z0-9.-]{1,40}",
                regex_message="Lower-case letters, digits, dots and hyphens.",
                help_text="The part before @example.com.",
            ),
            field("display_name", "Display name", "text", required=True, max_value="60"),
            field("owner", "Owner", "user", required=True),
            field("members", "Members", "textarea", help_text="One username per line."),
            field("external", "Receives mail from outside the company", "checkbox"),
        ],
        "approval": [step("Manager", "manager")],
        "tasks": [task(1, "Create the mailbox"), task(2, "Add the members and tell the owner")],
    },
    # -- applications: business systems --------------------------------------------------------------
    {
        "slug": "erp-access",
        "name": "ERP access",
        "category": "business-systems",
        "icon": "diagram-3",
        "summary": "Access to modules of the ERP system.",
        "description": "Access to finance modules is approved by Finance as well as your manager. "
        "IT Security checks the segregation of duties before the user is created.",
        "days": 3,
        "group": "Business Applications",
        "form": [
            field(
                "modules",
                "Modules",
                "multichoice",
                required=True,
                min_value="1",
                max_value="3",
                choices=[
                    ("finance", "Finance (GL, AP, AR)"),
                    ("purchasing", "Purchasing"),
                    ("sales", "Sales and distribution"),
                    ("inventory", "Inventory"),
                ],
            ),
            field(
                "role",
                "Role",
                "choice",
                required=True,
                default="viewer",
                choices=[("viewer", "Viewer"), ("clerk", "Clerk (enters documents)"), ("approver", "Approver")],
            ),
            field(
                "cost_centre",
                "Cost centre",
                "text",
                required=True,
                regex=COST_CENTRE,
                regex_message="Four digits, e.g. 4100.",
            ),
            field("like_user", "Same access as", "user", help_text="A colleague whose access you need too."),
            field("reason", "Reason", "textarea", required=True),
        ],
        "approval": [
            step("Manager", "manager"),
            step("Finance data owner", "group_any", group="Finance Approvers", auto=("modules", "ne", "finance")),
        ],
        "tasks": [
            task(1, "Check the segregation of duties", group="IT Security"),
            task(2, "Create the ERP user and roles"),
            task(2, "Install the ERP client", group="Service Desk"),
        ],
    },
    {
        "slug": "crm-licence",
        "name": "CRM licence",
        "category": "business-systems",
        "icon": "person-vcard",
        "summary": "A CRM licence for the sales and service teams.",
        "description": "For the Sales department. The price is per licence per year.",
        "days": 2,
        "cost": "600.00",
        "max_quantity": 5,
        "departments": ["Sales"],
        "group": "Business Applications",
        "form": [
            field(
                "edition",
                "Edition",
                "choice",
                required=True,
                default="sales",
                choices=[("sales", "Sales Cloud"), ("service", "Service Cloud")],
            ),
            field("for_user", "For (when not yourself)", "user"),
            field("start", "Start on", "date", required=True, min_value="today"),
            field("mobile", "Mobile app access", "checkbox", default=True),
        ],
        "approval": [
            step("Manager", "manager"),
            step("Finance", "group_any", group="Finance Approvers", auto=("total_cost", "lt", "1000")),
        ],
        "tasks": [task(1, "Buy the licence", group="Procurement"), task(2, "Assign the licence and set up the user")],
    },
    # -- applications: developer tools ---------------------------------------------------------------
    {
        "slug": "developer-tool-licence",
        "name": "Developer tool licence",
        "category": "developer-tools",
        "icon": "code-slash",
        "summary": "IDE and developer tool licences for Engineering.",
        "description": "Licences are per person per year. Team orders of 1,000 or more need your manager's approval.",
        "days": 2,
        "cost": "250.00",
        "max_quantity": 10,
        "departments": ["Engineering"],
        "group": "Developer Platform",
        "form": [
            field(
                "tool",
                "Tool",
                "choice",
                required=True,
                choices=[
                    ("intellij", "JetBrains IntelliJ IDEA Ultimate"),
                    ("pycharm", "JetBrains PyCharm Professional"),
                    ("copilot", "GitHub Copilot Business"),
                    ("postman", "Postman Professional"),
                ],
            ),
            field("justification", "What will you use it for?", "textarea", max_value="500"),
        ],
        "approval": [step("Manager", "manager", auto=("total_cost", "lt", "1000"))],
        "tasks": [task(1, "Buy or assign the licence", group="Procurement"), task(2, "Send the licence key")],
    },
    {
        "slug": "git-repository",
        "name": "Source code repository",
        "category": "developer-tools",
        "icon": "git",
        "summary": "A GitLab repository with a build pipeline.",
        "description": "Pre-approved for Engineering. The repository starts from the template you pick.",
        "days": 1,
        "standard": True,
        "departments": ["Engineering"],
        "group": "Developer Platform",
        "form": [
            field(
                "repo_name",
                "Repository name",
                "text",
                required=True,
                regex=r"[a-z][a-z0-9-]{2,50}",
                regex_message="Lower-case letters, digits and hyphens.",
            ),
            field(
                "visibility",
                "Visibility",
                "choice",
                required=True,
                default="private",
                choices=[("private", "Private (team only)"), ("internal", "Internal (every employee)")],
            ),
            field(
                "template",
                "Template",
                "choice",
                choices=[("python", "Python service"), ("django", "Django app"), ("library", "Library")],
            ),
            field("application", "Application", "ci", ci_types="application,business_service"),
            field("pipeline", "Set up the build pipeline", "checkbox", default=True),
        ],
        "tasks": [task(1, "Create the repository")],
    },
    # -- business: finance ---------------------------------------------------------------------------
    {
        "slug": "purchase-request",
        "name": "Purchase request",
        "category": "finance",
        "icon": "cart-check",
        "summary": "Buy goods or services from a supplier.",
        "description": "Procurement places the order once approved.\n\n"
        "- Your manager approves every purchase.\n- Finance reviews purchases of 1,000 CNY or more.\n"
        "- Procurement checks the supplier.",
        "days": 10,
        "group": "Procurement",
        "form": [
            field("supplier", "Supplier", "text", required=True),
            field("what", "What to buy", "textarea", required=True),
            field(
                "amount",
                "Total amount (CNY, including VAT)",
                "number",
                required=True,
                min_value="1",
                max_value="100000",
            ),
            field(
                "cost_centre",
                "Cost centre",
                "text",
                required=True,
                regex=COST_CENTRE,
                regex_message="Four digits, e.g. 4100.",
            ),
            field("quote", "Supplier quote", "attachment"),
            field("needed_by", "Needed by", "date", min_value="today"),
        ],
        "approval": [
            step("Manager", "manager"),
            step("Finance", "group_any", group="Finance Approvers", auto=("amount", "lt", "1000")),
            step("Procurement", "group_any", group="Procurement"),
        ],
        "tasks": [task(1, "Place the order"), task(2, "Confirm the delivery and file the invoice")],
    },
    {
        "slug": "corporate-card",
        "name": "Corporate credit card",
        "category": "finance",
        "icon": "credit-card",
        "summary": "A company credit card for travel and small purchases.",
        "description": "Both finance controllers approve every card. The card arrives by post within two weeks.",
        "days": 10,
        "group": "Procurement",
        "form": [
            field(
                "monthly_limit",
                "Monthly limit",
                "choice",
                required=True,
                default="5000",
                choices=[("5000", "5,000 CNY"), ("20000", "20,000 CNY"), ("50000", "50,000 CNY")],
            ),
            field("purpose", "What will you pay with it?", "textarea", required=True),
            field("abroad", "I travel abroad for work", "checkbox"),
            field("countries", "Countries", "text", required=True, show_if=("abroad", "checked", "true")),
        ],
        "approval": [
            step("Manager", "manager"),
            step("Finance (both controllers)", "group_all", group="Finance Approvers"),
        ],
        "tasks": [task(1, "Order the card from the bank"), task(2, "Hand over the card and the PIN letter")],
    },
    # -- business: HR --------------------------------------------------------------------------------
    {
        "slug": "new-starter",
        "name": "New starter onboarding",
        "category": "hr",
        "icon": "person-plus",
        "summary": "Everything a new colleague needs on their first day.",
        "description": "Order at least two weeks before the start date. HR prepares the contract file and badge, "
        "IT the accounts and laptop, Facilities the desk.",
        "days": 10,
        "group": "HR",
        "form": [
            field("full_name", "Full name", "text", required=True),
            field("start_date", "Start date", "date", required=True, min_value="today"),
            field(
                "department",
                "Department",
                "choice",
                required=True,
                choices=[(name.lower(), name) for name in DEPARTMENTS],
            ),
            field("manager", "Line manager", "user", required=True),
            field("job_title", "Job title", "text", required=True),
            field("offer", "Signed offer letter", "attachment"),
            field("needs_laptop", "Needs a laptop", "checkbox", default=True),
            field(
                "laptop_model",
                "Laptop model",
                "choice",
                required=True,
                default="std",
                choices=LAPTOP_MODELS,
                show_if=("needs_laptop", "checked", "true"),
            ),
            field(
                "access",
                "Access",
                "multichoice",
                default=["email"],
                choices=[
                    ("email", "Email and Teams"),
                    ("vpn", "VPN"),
                    ("erp", "ERP"),
                    ("crm", "CRM"),
                    ("git", "GitLab"),
                ],
            ),
        ],
        "approval": [step("HR", "group_any", group="HR")],
        "tasks": [
            task(1, "Prepare the contract file and badge"),
            task(1, "Create the accounts", group="Service Desk"),
            task(2, "Prepare the laptop", group="Service Desk"),
            task(2, "Assign a desk", group="Facilities"),
            task(3, "Welcome them on the first day"),
        ],
    },
    {
        "slug": "employment-certificate",
        "name": "Employment certificate",
        "category": "hr",
        "icon": "file-earmark-text",
        "summary": "A letter confirming your employment, for a visa, bank or landlord.",
        "description": "Pre-approved. HR signs and stamps the letter.",
        "days": 3,
        "standard": True,
        "group": "HR",
        "form": [
            field(
                "purpose",
                "Purpose",
                "choice",
                required=True,
                choices=[
                    ("visa", "Visa application"),
                    ("bank", "Bank or loan"),
                    ("rental", "Renting a home"),
                    ("other", "Other"),
                ],
            ),
            field("other_purpose", "Which purpose?", "text", required=True, show_if=("purpose", "equals", "other")),
            field(
                "languages",
                "Languages",
                "multichoice",
                required=True,
                default=["en"],
                min_value="1",
                choices=[("en", "English"), ("zh", "Chinese")],
            ),
            field("salary", "Include my salary", "checkbox"),
            field(
                "delivery",
                "Delivery",
                "choice",
                required=True,
                default="pdf",
                choices=[("pdf", "Signed PDF by email"), ("paper", "Paper copy at the HR office")],
            ),
        ],
        "tasks": [task(1, "Issue the certificate")],
    },
    # -- business: administration --------------------------------------------------------------------
    {
        "slug": "office-badge",
        "name": "Office access badge",
        "category": "administration",
        "icon": "person-badge",
        "summary": "A new or replacement badge for the office buildings.",
        "description": "Badges open the doors on weekdays from 07:00 to 20:00. "
        "Access outside those hours is approved by Facilities.",
        "days": 3,
        "group": "Facilities",
        "form": [
            field("holder", "Badge for", "user", required=True),
            field(
                "building",
                "Building",
                "choice",
                required=True,
                choices=[("hq", "Headquarters"), ("lab", "Lab building"), ("warehouse", "Warehouse")],
            ),
            field(
                "floors",
                "Floors",
                "multichoice",
                choices=[(str(n), f"Floor {n}") for n in range(1, 6)],
                show_if=("building", "in", "hq,lab"),
            ),
            field(
                "photo", "Photo", "attachment", help_text="A passport-style photo; we take one at the desk otherwise."
            ),
            field("out_of_hours", "Access outside 07:00-20:00", "checkbox"),
        ],
        "approval": [
            step("Manager", "manager"),
            step("Facilities", "group_any", group="Facilities", auto=("out_of_hours", "eq", "false")),
        ],
        "tasks": [task(1, "Print and encode the badge")],
    },
    # -- support: training, consulting, technical support --------------------------------------------
    {
        "slug": "it-training",
        "name": "IT training course",
        "category": "training",
        "icon": "easel",
        "summary": "Book a seat on one of IT's courses.",
        "description": "Courses run monthly in Shanghai and online. The price is per participant.",
        "days": 10,
        "cost": "300.00",
        "max_quantity": 10,
        "group": "Service Desk",
        "form": [
            field(
                "course",
                "Course",
                "choice",
                required=True,
                choices=[
                    ("excel", "Excel for analysts (1 day)"),
                    ("security", "Security awareness (half a day)"),
                    ("python", "Python for beginners (2 days)"),
                    ("itil", "ITIL 4 Foundation (3 days)"),
                ],
            ),
            field("preferred_date", "Preferred date", "date", required=True, min_value="today"),
            field("participants", "Colleagues joining", "textarea", help_text="One username per line."),
            field("online", "Online rather than in the classroom", "checkbox"),
        ],
        "approval": [step("Manager", "manager", auto=("total_cost", "lt", "1000"))],
        "tasks": [task(1, "Book the course and send the invitation")],
    },
    {
        "slug": "it-consulting",
        "name": "IT consulting session",
        "category": "consulting",
        "icon": "lightbulb",
        "summary": "Two hours with an IT architect or analyst.",
        "description": "Bring a problem; leave with a recommendation in writing. The IT service owner schedules it.",
        "days": 5,
        "group": "Business Applications",
        "form": [
            field(
                "topic",
                "Topic",
                "choice",
                required=True,
                choices=[
                    ("architecture", "Solution architecture"),
                    ("automation", "Process automation"),
                    ("data", "Reporting and data"),
                    ("security", "Security review"),
                ],
            ),
            field("question", "What should we look at?", "textarea", required=True, min_value="30"),
            field("system", "System concerned", "ci", ci_types="business_service,application"),
            field("preferred_date", "Preferred date", "date", min_value="today"),
            field("attendees", "Attendees", "number", default=2, min_value="1", max_value="20"),
        ],
        "approval": [step("IT service owner", "user", user="mona")],
        "tasks": [task(1, "Hold the session"), task(2, "Write up the recommendations")],
    },
    {
        "slug": "password-reset",
        "name": "Password reset",
        "category": "technical-support",
        "icon": "key",
        "summary": "Forgotten or expired password for one of your accounts.",
        "description": "Pre-approved. The service desk checks who you are before resetting anything.",
        "days": 1,
        "standard": True,
        "group": "Service Desk",
        "form": [
            field(
                "account",
                "Account",
                "choice",
                required=True,
                choices=[("windows", "Windows and email"), ("erp", "ERP"), ("vpn", "VPN token PIN"), ("crm", "CRM")],
            ),
            field(
                "contact",
                "How do we reach you?",
                "choice",
                required=True,
                default="phone",
                choices=[("phone", "Call me"), ("desk", "I will come to the desk")],
            ),
            field(
                "phone",
                "Phone number",
                "text",
                required=True,
                regex=r"\+?[0-9 -]{6,20}",
                regex_message="Digits, spaces and hyphens, optionally starting with +.",
                show_if=("contact", "equals", "phone"),
            ),
            field("own_account", "This is my own account", "checkbox", required=True),
        ],
        "tasks": [task(1, "Check the identity and reset the password")],
    },
]


def seed_catalog(people: dict, groups: dict[str, AssignmentGroup]) -> None:
    """The demo organisation and catalog; `people` by username (PEOPLE included), `groups` by name."""
    with transaction.atomic():
        _organisation(people)
        groups = {**groups, **_groups(people)}
        for name, ci_type in CONFIGURATION_ITEMS:
            ConfigurationItem.objects.get_or_create(name=name, ci_type=ci_type)
        categories = _categories()
        for position, spec in enumerate(ITEMS):
            _item(spec, position, categories, groups, people)


def _organisation(people: dict) -> None:
    """Departments with their heads, and each person's department and line manager (an existing profile stays)."""
    departments = {
        name: Department.objects.get_or_create(name=name, defaults={"manager": people[head]})[0]
        for name, head in DEPARTMENTS.items()
    }
    for username, (department, manager, job_title) in PROFILES.items():
        Profile.objects.get_or_create(
            user=people[username],
            defaults={
                "department": departments[department],
                "manager": people[manager] if manager else None,
                "job_title": job_title,
            },
        )


def _groups(people: dict) -> dict[str, AssignmentGroup]:
    made = {}
    for name, description, manager, members in GROUPS:
        group, _created = AssignmentGroup.objects.get_or_create(
            name=name, defaults={"description": description, "manager": people[manager]}
        )
        group.members.add(*(people[m] for m in members))
        made[name] = group
    return made


def _categories() -> dict[str, CatalogCategory]:
    categories: dict[str, CatalogCategory] = {}
    for position, (slug, name, parent, icon, description) in enumerate(CATEGORIES):
        categories[slug], _created = CatalogCategory.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "parent": categories[parent] if parent else None,
                "icon": icon,
                "description": description,
                "position": position,
            },
        )
    return categories


def _item(spec: dict, position: int, categories: dict, groups: dict, people: dict) -> None:
    """Create the item with its form, chain and workflow, and publish it; an item that exists is left alone."""
    item, created = CatalogItem.objects.get_or_create(
        slug=spec["slug"],
        defaults={
            "name": spec["name"],
            "category": categories[spec["category"]],
            "icon": spec["icon"],
            "short_description": spec["summary"],
            "description": spec["description"],
            "expected_delivery_days": spec["days"],
            "cost": spec.get("cost"),
            "is_standard": spec.get("standard", False),
            "max_quantity": spec.get("max_quantity", 1),
            "fulfilment_group": groups[spec["group"]],
            "position": position,
        },
    )
    if not created:
        return
    item.allowed_departments.add(*Department.objects.filter(name__in=spec.get("departments", [])))
    ItemField.objects.bulk_create(
        ItemField(item=item, position=number, **row) for number, row in enumerate(spec.get("form", []), start=1)
    )
    for number, row in enumerate(spec.get("approval", []), start=1):
        field_name, operator, value = row["auto"] or ("", "", "")
        ApprovalStep.objects.create(
            item=item,
            position=number,
            name=row["name"],
            approver_type=row["approver"],
            group=groups[row["group"]] if row["group"] else None,
            user=people[row["user"]] if row["user"] else None,
            auto_approve_field=field_name,
            auto_approve_operator=operator,
            auto_approve_value=value,
        )
    for row in spec.get("tasks", []):
        webhook = row["webhook"] or {}
        TaskTemplate.objects.create(
            item=item,
            step=row["step"],
            title=row["title"],
            instructions=row["instructions"],
            group=groups[row["group"]] if row["group"] else None,
            action="webhook" if webhook else "",
            webhook_url=webhook.get("url", ""),
            webhook_headers=webhook.get("headers", {}),
            max_attempts=webhook.get("max_attempts", 5),
        )
    publish_version(item, note="Demo catalog")
