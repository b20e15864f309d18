"""The demo knowledge base: about fifty IT articles in English and Simplified Chinese, made through the knowledge
services so that versions, history, feedback counters and the search index are what real use would leave.

Most articles are published; a few were revised once (two versions with a change note, for version compare),
two wait in review, two are drafts (one sent back by the editor), one is retired and one is past its review date.
A few have feedback from the demo's end users (one is flagged by it) and a few are linked to the demo incidents.

Idempotent: when any article exists the knowledge base is left exactly as it is (readers and editors may have
changed it since), so a second run adds nothing.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from cmdb.models import ConfigurationItem
from knowledge import services as kb
from knowledge.models import Article, ArticleLanguage, Audience, Category
from servicedesk import roles
from servicedesk.models import Ticket

# The Knowledge Editor, in seed_demo's PEOPLE format: she reviews and publishes every article but her own.
EDITOR = "nina"
PEOPLE = [(EDITOR, "Nina", "Wu", [roles.KNOWLEDGE_EDITOR], False)]

EN, ZH = ArticleLanguage.ENGLISH, ArticleLanguage.CHINESE
PUBLIC, INTERNAL = Audience.PUBLIC, Audience.INTERNAL

# What happens to an article after it is written.
PUBLISHED = "published"
IN_REVIEW = "in_review"
DRAFT = "draft"
SENT_BACK = "sent_back"  # submitted, then sent back to its author with the editor's comment: a draft again
RETIRED = "retired"  # published, then retired
OVERDUE = "overdue"  # published, and its review date has passed

# The knowledge shelves (names in English for both languages), parents first.
CATEGORIES = {
    "Network": ["Wi-Fi", "VPN", "Wired network"],
    "Email & collaboration": ["Outlook", "Teams & meetings"],
    "Accounts & security": ["Passwords", "MFA", "Permissions", "Phishing"],
    "Devices": ["Laptops", "Printers", "Phones"],
    "Software": ["Installation", "Office", "ERP & finance"],
    "Files & storage": ["File shares", "OneDrive"],
    "Infrastructure": ["Servers"],
}


@dataclass(frozen=True)
class Revision:
    """A second version: (old, new) text replacements in the first version's body, and the note on what changed."""

    note: str
    changes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DemoArticle:
    """One article and its story; `categories` as "Parent › Child" paths, `services` as CI names."""

    title: str
    summary: str
    body: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    owner: str
    language: str = EN
    audience: str = PUBLIC
    state: str = PUBLISHED
    services: tuple[str, ...] = ()
    revision: Revision | None = None
    # The editor's review comment: left on an article in review, or the reason it was sent back.
    review_comment: str = ""
    retire_reason: str = ""
    # (end user, helpful, comment)
    feedback: tuple[tuple[str, bool, str], ...] = ()
    # (demo incident title, solved): linked by the owner, who works on the ticket.
    tickets: tuple[tuple[str, bool], ...] = ()
    # The resolved demo incident the article was written from.
    from_ticket: str = ""


# Bodies are Markdown, flush left. A line ending in a backslash goes on in the next one (Python joins them): a
# Chinese paragraph must stay one line of Markdown, since a line break inside it would show as a space.
ARTICLES = [
    # == English ==================================================================================================
    # -- Network --------------------------------------------------------------------------------------------------
    DemoArticle(
        title="Connect to the VPN from home (GlobalProtect)",
        summary="Start the GlobalProtect client, connect to vpn.example.com and check that internal sites open.",
        categories=("Network › VPN",),
        tags=("vpn", "globalprotect", "remote work"),
        owner="lee",
        services=("Remote access (VPN)", "vpn-gw01"),
        revision=Revision(
            note="Sign-in moved to the Microsoft page with MFA approval.",
            changes=(
                (
                    "4. Sign in with your network username (the part of your email address before the @) and\n"
                    "   password.",
                    "4. A Microsoft sign-in page opens. Sign in with your email address and password and approve the\n"
                    "   request in Microsoft Authenticator.",
                ),
            ),
        ),
        body="""
You need the VPN to reach internal systems (ERP, file shares, the intranet) from outside the office.
Microsoft 365 mail, Teams and OneDrive work without it.

## Before you start

- A company laptop with **GlobalProtect** installed. It is on every standard laptop; if it is missing, install it
  from Company Portal.
- Your network account and password, and Microsoft Authenticator on your phone.
- An internet connection. Hotel and airport Wi-Fi often needs you to accept its terms in a browser first.

## Steps

1. Click the **GlobalProtect** globe icon in the system tray (Windows) or the menu bar (macOS).
2. The first time, type the portal address `vpn.example.com` and click **Connect**.
3. Leave the gateway on **Best Available**; it picks the nearest one.
4. Sign in with your network username (the part of your email address before the @) and
   password.
5. The globe shows a shield and the window says **Connected**.

To disconnect, open the client and click **Disconnect**. Disconnect when you stop working: an idle session is
closed after 12 hours anyway.

## Check that it works

Open the intranet at `https://intranet.example.com`. If it loads, the VPN is up. From PowerShell:

```powershell
Test-NetConnection intranet.example.com -Port 443
```

`TcpTestSucceeded : True` means you reach the internal network.

## If it does not connect

| Message | What to do |
|---|---|
| *Authentication failed* | Check Caps Lock. If your password expired, reset it first (see *Reset your password \
with self-service*). |
| *Gateway not responding* | Your network blocks the VPN; try your phone's hotspot. |
| *Certificate not trusted* | Do not connect. Call the service desk: the address may be mistyped. |

Drops every few minutes? See *VPN disconnects every few minutes*. Still stuck? Raise an incident in the portal
under **Network › VPN** and add a screenshot of the message.
""",
    ),
    DemoArticle(
        title="VPN disconnects every few minutes",
        summary="Drops are almost always the home connection: stop the Wi-Fi adapter sleeping, check for packet loss.",
        categories=("Network › VPN",),
        tags=("vpn", "globalprotect", "wi-fi", "remote work"),
        owner="lee",
        services=("Remote access (VPN)",),
        tickets=(("VPN disconnects every 10 minutes", False),),
        body="""
## Symptoms

The VPN connects, then drops after a few minutes and reconnects by itself. Teams calls over the VPN freeze,
copies to file shares fail half-way and the ERP asks you to sign in again.

## Cause

Almost always the connection between the laptop and the internet, not the VPN gateway:

- The Wi-Fi adapter goes to sleep to save power and the tunnel times out.
- A weak Wi-Fi signal (far from the router, or a crowded 2.4 GHz band).
- Some home routers and 4G hotspots drop the UDP traffic the VPN prefers (IPsec), so the client falls back to
  SSL and reconnects.

## Resolution

1. **Plug in a cable** if you can. If the drops stop, the problem is the Wi-Fi.
2. **Stop the Wi-Fi adapter from sleeping** (Windows):
   1. Right-click **Start** › **Device Manager** › **Network adapters**.
   2. Open your Wi-Fi adapter › **Power Management**.
   3. Clear **Allow the computer to turn off this device to save power** and click **OK**.
3. **Move closer to the router** or use the 5 GHz network of your home Wi-Fi.
4. **Restart the home router**: unplug it for 30 seconds.
5. **Check for packet loss** while the VPN is connected:

   ```powershell
   ping -n 50 intranet.example.com
   ```

   More than 2 % lost means the line itself is unstable: contact your internet provider.

## Still dropping?

Open an incident under **Network › VPN** and attach the client's logs: in GlobalProtect click the gear icon ›
**Settings** › **Troubleshooting** › **Collect Logs**, and attach the zip file it saves. Tell us your internet
provider and whether you use Wi-Fi or a cable.
""",
    ),
    DemoArticle(
        title="Connect to the VPN with the Cisco AnyConnect profile",
        summary="The old remote access client and its profile, used until the move to GlobalProtect.",
        categories=("Network › VPN",),
        tags=("vpn", "anyconnect"),
        owner="lee",
        state=RETIRED,
        retire_reason="The AnyConnect gateway was switched off after the move to GlobalProtect: see "
        "“Connect to the VPN from home (GlobalProtect)”.",
        services=("Remote access (VPN)",),
        body="""
Remote access uses **Cisco AnyConnect** with the company profile. The client is on every standard laptop.

## Steps

1. Start **Cisco AnyConnect Secure Mobility Client** from the Start menu.
2. In the address field type `remote.example.com` and click **Connect**.
3. Choose the group **Staff**.
4. Sign in with your network username and password, then type the six-digit code from your hardware token.
5. The padlock on the tray icon shows that you are connected.

## Troubleshooting

- *Login failed*: check Caps Lock and wait for the next code on the token; a code works once.
- *The VPN client was unable to establish a connection*: another VPN client is running. Quit it and try again.
- *Untrusted server blocked*: you typed the address wrongly. Never click **Connect anyway**.
- Disconnects on hotel Wi-Fi: open **Preferences** and clear **Enable local LAN access**.

## Tokens

Lost or broken tokens are replaced at the service desk on the 2nd floor. Bring your badge. A new token takes
effect within an hour.
""",
    ),
    DemoArticle(
        title="Connect a laptop to the office Wi-Fi (CORP-WIFI)",
        summary="Company laptops join CORP-WIFI with their certificate; renew it when Windows asks for a password.",
        categories=("Network › Wi-Fi",),
        tags=("wi-fi", "corp-wifi", "certificate"),
        owner="lin",
        services=("Office Wi-Fi",),
        feedback=(("alice", True, "The gpupdate step did it, thanks."),),
        tickets=(("Cannot connect to the office Wi-Fi", False),),
        body="""
The office has two networks:

| Network | For | Sign-in |
|---|---|---|
| **CORP-WIFI** | Company laptops | Automatic, with the laptop's certificate |
| **GUEST-WIFI** | Visitors and personal phones | A voucher (see *Get guest Wi-Fi access for a visitor*) |

Company laptops join **CORP-WIFI** by themselves. If yours does not, follow the steps below.

## Steps (Windows)

1. Click the network icon on the taskbar and choose **CORP-WIFI** › **Connect**.
2. If Windows asks for a username and password, cancel: the laptop should use its certificate. It asks when the
   certificate is missing or expired.
3. Connect to the VPN once from another network (guest Wi-Fi or your phone's hotspot) and run:

   ```powershell
   gpupdate /force
   ```

   This renews the laptop's certificate. Restart, then connect to **CORP-WIFI** again.

## Steps (macOS)

1. Open **System Settings › Privacy & Security › Profiles** and check that **Corp Wi-Fi** is listed.
2. If it is missing, open **Company Portal** and click **Check status**; the profile comes back within a few
   minutes.
3. Choose **CORP-WIFI** from the Wi-Fi menu.

## CORP-WIFI is not in the list at all

- Check that Wi-Fi is switched on (some laptops have a key for it, often **Fn + F2** or an aeroplane key).
- The network does not reach the lifts, the stairwells or the basement car park.
- If colleagues nearby do not see it either, an access point may be down: report it under **Network › Wi-Fi**
  with your floor and the nearest room number.
""",
    ),
    DemoArticle(
        title="Get guest Wi-Fi access for a visitor",
        summary="Order a Guest Wi-Fi voucher in the catalog; the visitor gets the code by text message.",
        categories=("Network › Wi-Fi",),
        tags=("wi-fi", "guest", "visitors"),
        owner="lin",
        state=OVERDUE,
        services=("Office Wi-Fi",),
        body="""
Visitors, contractors without a company laptop and your own phone use **GUEST-WIFI**. It reaches the internet
only: no printers, file shares or internal sites.

## Steps

1. Order a **Guest Wi-Fi voucher** in the service catalog (**Infrastructure services › Network**). It needs no
   approval.
2. Give the visitor's name and company, the first day of the visit and how many days they need (up to 14).
3. The visitor receives the code by text message on the morning of the visit.
4. They connect to **GUEST-WIFI**; a page opens in the browser (if not, they open any `http://` site), they enter
   the code and accept the terms of use.

One code works on up to three devices.

## Visitor already here?

Reception on the ground floor hands out same-day vouchers on paper. Ask there rather than waiting for the
catalog.

## Good to know

- Guest Wi-Fi is limited to 20 Mbit/s per device. Large downloads and HD video calls may stutter.
- Never give visitors the CORP-WIFI settings or plug their devices into a network socket.
- Contractors who stay longer than two weeks get a company laptop or a VPN profile instead: ask your manager.

## The voucher page does not open

- Switch off the visitor's VPN and private DNS (Android: **Settings › Network › Private DNS › Off**).
- Open `http://neverssl.com` to bring up the sign-in page.
- Still nothing: the visitor can call the service desk on **8000** from the reception phone.
""",
    ),
    # -- Accounts & security --------------------------------------------------------------------------------------
    DemoArticle(
        title="Set up multi-factor authentication with Microsoft Authenticator",
        summary="Register the Authenticator app on your phone, add a backup method and move it to a new phone safely.",
        categories=("Accounts & security › MFA",),
        tags=("mfa", "authenticator", "security"),
        owner="ivan",
        services=("Microsoft 365",),
        body="""
Multi-factor authentication (MFA) protects your account: after your password, you approve the sign-in on your
phone. It is required for email, Teams, the VPN and every company web application.

## Before you start

- Your phone (iPhone or Android) with **Microsoft Authenticator** from the App Store or your app store.
- A computer where you can open `https://mysignins.microsoft.com/security-info`.

## Steps

1. On the computer, open `https://mysignins.microsoft.com/security-info` and sign in.
2. Click **Add sign-in method** › **Authenticator app** › **Next** until a QR code appears.
3. On the phone, open Authenticator › **+** › **Work or school account** › **Scan QR code**.
4. Scan the code on the screen. The account appears in the app.
5. Back on the computer, click **Next**. A test notification arrives on the phone: enter the number shown on the
   screen and tap **Yes**.
6. Add a second method as a backup: **Add sign-in method** › **Phone**, and enter your mobile number for text
   messages.

## Everyday use

When you sign in, the screen shows a two-digit number. Open the notification on your phone, type the number and
confirm with your fingerprint or PIN.

> **Never approve a request you did not start.** If your phone asks you to approve a sign-in you did not make,
> tap **No, it's not me** and change your password at once: someone knows it.

## New phone?

Move the account *before* you reset the old phone: add Authenticator on the new phone with the steps above, then
delete the old phone under **Security info**. If the old phone is already gone, call the service desk on
**8000** to have your MFA reset. We call you back on the number in the company directory to check it is you.
""",
    ),
    DemoArticle(
        title="Reset a user's MFA in the admin console",
        summary="Verify the caller, require re-registration and revoke sessions in Entra ID, then hand over a pass.",
        categories=("Accounts & security › MFA",),
        tags=("mfa", "entra id", "runbook"),
        owner="ivan",
        audience=INTERNAL,
        services=("Microsoft 365",),
        body="""
**Engineers only.** Use this when a user has a new phone, lost their phone or removed the Authenticator app and
can no longer sign in. Resetting MFA lets anyone who knows the password register a new method, so the identity
check comes first.

## 1. Verify the caller

Never reset MFA on the strength of an email or a chat message. Do one of these:

- Call the user back on the mobile or desk number in the company directory (not a number they give you).
- Ask their line manager to confirm in the ticket.
- Check their badge in person at the service desk.

Write which check you did in the ticket's work notes.

## 2. Reset the methods

1. Sign in to the Microsoft Entra admin center (`https://entra.microsoft.com`) with your admin account.
2. **Users › All users**, find the user, open **Authentication methods**.
3. Click **Require re-register multifactor authentication**, then **Revoke multifactor authentication
   sessions**.
4. Delete the old **Microsoft Authenticator** entry for the lost phone.

Or from PowerShell:

```powershell
Connect-MgGraph -Scopes "UserAuthenticationMethod.ReadWrite.All"
$user = "firstname.lastname@example.com"
Get-MgUserAuthenticationMicrosoftAuthenticatorMethod -UserId $user | ForEach-Object {
    Remove-MgUserAuthenticationMicrosoftAuthenticatorMethod -UserId $user `
        -MicrosoftAuthenticatorAuthenticationMethodId $_.Id
}
```

## 3. Hand over

- If the user has to register away from the office, give them a **Temporary Access Pass** (one use, valid for
  8 hours): **Authentication methods › Add authentication method › Temporary Access Pass**. Read it to them on
  the phone; never send it by email.
- Send them the article *Set up multi-factor authentication with Microsoft Authenticator*.
- If the phone was lost or stolen, ask IT Security to wipe company data from it and say so in the ticket.
""",
    ),
    DemoArticle(
        title="Reset your password with self-service",
        summary="Reset a forgotten or expired password yourself at account.example.com, then update your devices.",
        categories=("Accounts & security › Passwords",),
        tags=("password", "self-service", "account locked"),
        owner="lin",
        services=("Microsoft 365",),
        revision=Revision(
            note="New password policy: at least 14 characters, and passwords expire once a year.",
            changes=(
                ("- At least 12 characters.", "- At least 14 characters."),
                ("It expires every 180 days", "It expires every 365 days"),
            ),
        ),
        feedback=(
            ("alice", True, "Worked from my phone in two minutes."),
            ("bob", True, ""),
            ("gina", True, "The part about the laptop at home was exactly my problem."),
        ),
        body="""
You can reset a forgotten or expired password yourself, at any time, at `https://account.example.com`. You need
to have set up MFA first (see *Set up multi-factor authentication with Microsoft Authenticator*).

## Steps

1. Open `https://account.example.com` on any device; a phone works too.
2. Enter your email address and the characters shown in the picture.
3. Confirm with your Authenticator app or the code sent by text message.
4. Type the new password twice and click **Finish**.

## After the reset

- **On your laptop in the office:** lock the screen (**Windows + L**) and unlock it with the new password.
- **On your laptop at home:** the laptop knows only the old password until it reaches the office network. Sign
  in with the old one, connect to the VPN, then lock and unlock with the new one.
- **On your phone:** Outlook and Teams ask for the new password within an hour. Update saved Wi-Fi and mail
  passwords on other devices too, or they lock your account with repeated wrong attempts.

## Password rules

- At least 12 characters. A short sentence is easier to remember than a jumble: `Three green buses at 8!`
- Not one of your last 10 passwords, and not your name or username.
- It expires every 180 days; you get an email 14 days before.

## Other accounts

The ERP, the CRM and the VPN token PIN have their own passwords. Order a **Password reset** in the service
catalog (**Support services › Technical support**) and choose the account.

## Account locked?

Ten wrong attempts lock the account for 15 minutes. Wait, or call the service desk on **8000** to unlock it
sooner.
""",
    ),
    DemoArticle(
        title="Unlock an account and find the source of repeated lockouts",
        summary="Unlock in AD, read event 4740 on the PDC emulator and remove the stale credential that keeps failing.",
        categories=("Accounts & security › Passwords",),
        tags=("active directory", "account locked", "powershell", "runbook"),
        owner="lin",
        audience=INTERNAL,
        body="""
**Engineers only.** A user whose account locks again minutes after you unlock it almost always has a device or
a saved credential still trying the old password. Unlocking alone will not help.

## 1. Unlock

From a desk workstation with the RSAT tools:

```powershell
Import-Module ActiveDirectory
Get-ADUser firstname.lastname -Properties LockedOut, BadLogonCount, PasswordLastSet, LastBadPasswordAttempt |
    Format-List Name, LockedOut, BadLogonCount, PasswordLastSet, LastBadPasswordAttempt
Unlock-ADAccount firstname.lastname
```

## 2. Find where the bad attempts come from

The PDC emulator records every lockout as event **4740**, with the name of the computer that sent the bad
password:

```powershell
$pdc = (Get-ADDomain).PDCEmulator
Get-WinEvent -ComputerName $pdc -FilterHashtable @{LogName = "Security"; Id = 4740} -MaxEvents 200 |
    Where-Object { $_.Properties[0].Value -eq "firstname.lastname" } |
    Select-Object TimeCreated, @{n = "Source"; e = { $_.Properties[1].Value }}
```

## 3. Typical sources

| Source | Likely cause | Fix |
|---|---|---|
| The user's laptop | A saved credential, or a drive mapped with a stored password | **Control Panel › Credential \
Manager**: remove the entries for `fs01` and `example.com` |
| `mail01` | A phone or tablet with the old password | Update the password in the mail app, or remove the account |
| `vpn-gw01` | The VPN client on a second device | Update or remove it |
| Empty, or a server you don't know | A scheduled task or service running as the user | Escalate to **Server & \
Storage** |

Note the source and the fix in the work notes, so that the next engineer does not start again.
""",
    ),
    # -- Email & collaboration ------------------------------------------------------------------------------------
    DemoArticle(
        title="Outlook keeps asking for your password",
        summary="Remove Outlook's stale saved sign-in from Credential Manager, sign in once, or build a new profile.",
        categories=("Email & collaboration › Outlook",),
        tags=("outlook", "password", "credential manager"),
        owner="lin",
        services=("Email", "Microsoft 365"),
        from_ticket="Outlook keeps asking for my password",
        tickets=(("Outlook keeps asking for my password", True),),
        feedback=(("alice", True, "Removing the saved credentials fixed it."), ("sam", True, "")),
        body="""
## Symptoms

Outlook shows a **Windows Security** or Microsoft sign-in window again and again, even though you type the
correct password. Mail may still arrive, or the status bar says **Disconnected** or **Need password**.

## Cause

Outlook is using a saved sign-in that is no longer valid, usually after you changed your password or after your
MFA was reset. Windows keeps offering the old token instead of asking for a fresh one.

## Resolution

1. Close Outlook, Teams and the other Office apps.
2. Open **Control Panel › User Accounts › Credential Manager › Windows Credentials**.
3. Under **Generic Credentials**, remove every entry that starts with `MicrosoftOffice`, `msteams` or
   `OneDrive Cached Credential`.
4. Open **Settings › Accounts › Access work or school**. If your account shows an error, click it and choose
   **Fix** (or **Disconnect** it and add it again).
5. Start Outlook. Sign in once with your email address and password and approve the request in Authenticator.

If it still asks, make a new Outlook profile:

1. **Control Panel › Mail (Microsoft Outlook) › Show Profiles › Add**.
2. Name it `Outlook2` and follow the wizard with your email address.
3. Choose **Always use this profile: Outlook2** and start Outlook. It downloads your mailbox again, which takes
   a while for a large mailbox.

## Prevention

After you change your password, sign in to Outlook, Teams and OneDrive the first time they ask, and update the
password on your phone. Cancelling the prompt leaves the stale token in place.
""",
    ),
    DemoArticle(
        title="Give a colleague access to your mailbox or calendar",
        summary="Share your calendar, make a delegate for your inbox, or order a shared mailbox for a team address.",
        categories=("Email & collaboration › Outlook",),
        tags=("outlook", "calendar", "delegate", "shared mailbox"),
        owner=EDITOR,
        services=("Email",),
        body="""
Use this when an assistant manages your calendar, or a colleague covers your mail while you are away.

## Share your calendar

1. In Outlook, go to the **Calendar**.
2. On the **Home** tab click **Share Calendar** and choose **Calendar**.
3. Click **Add**, pick the colleague and choose what they see:
   - **Can view when I'm busy**: free and busy times only.
   - **Can view all details**: subjects and locations too.
   - **Can edit**: they may create and change your meetings.
   - **Delegate**: they may also receive and answer meeting requests for you.
4. Click **OK**. The colleague gets an email with an **Accept** button.

## Give access to your inbox

1. **File › Account Settings › Delegate Access › Add**.
2. Pick the colleague and set **Inbox** to **Reviewer** (read) or **Editor** (read, file and delete).
3. Leave **Delegate receives copies of meeting-related messages** cleared unless they handle your meetings.

The colleague opens your mailbox with **File › Open & Export › Other User's Folder**.

## Team addresses

For an address such as `sales-support@example.com`, do not share a personal mailbox: order a **Shared mailbox**
in the service catalog (**Application services › Office software**). Its owner decides who has access, and
members see it in Outlook by themselves within an hour.

## Private items

Items you mark as **Private** stay hidden from delegates, unless you tick **Delegate can see my private items**
for them.
""",
    ),
    DemoArticle(
        title="Set up an automatic out-of-office reply",
        summary="Turn on automatic replies in Outlook, on the web or on your phone, with a start and end time.",
        categories=("Email & collaboration › Outlook",),
        tags=("outlook", "out of office", "automatic replies"),
        owner=EDITOR,
        services=("Email",),
        feedback=(("carol", True, ""),),
        body="""
## Outlook on Windows

1. **File › Automatic Replies**.
2. Choose **Send automatic replies** and tick **Only send during this time range**; set the start and the end.
3. On the **Inside My Organization** tab, write the reply colleagues get.
4. On **Outside My Organization**, write the reply for customers and suppliers. Tick **My Contacts only** if you
   do not want to answer newsletters and spam.
5. Click **OK**. A yellow bar in Outlook reminds you that replies are on.

## Outlook on the web and the new Outlook

**Settings** (gear) › **Account › Automatic replies**: switch on **Turn on automatic replies**, set the times and
the messages, and click **Save**.

## On your phone

In Outlook mobile: tap your picture › gear › your account › **Automatic replies**.

## A good reply

```text
Thank you for your message. I am out of the office until Monday 14 April with limited access to email.
For urgent matters please contact Lin Chen (lin@example.com, +86 21 5555 0102).
```

Say when you are back and whom to contact; leave out why you are away. A reply in both Chinese and English is
fine for customers who write in either language.

## It did not send

- Outlook answers each sender once per period. Ask a colleague who has not written to you yet to test it.
- Rules that move or delete mail before the reply is sent stop it: check **Rules › Manage Rules & Alerts**.
""",
    ),
    DemoArticle(
        title="Outlook search finds nothing or misses recent mail",
        summary="Outlook searches a local Windows index: check its status, include Outlook in it, or rebuild it.",
        categories=("Email & collaboration › Outlook",),
        tags=("outlook", "search", "windows search"),
        owner=EDITOR,
        services=("Email",),
        feedback=(
            ("bob", False, "There is no Search Tools menu in the new Outlook."),
            ("carol", False, "Rebuilt the index overnight, still no results."),
            ("gina", False, "The steps do not match what I see."),
            ("alice", True, "Outlook on the web found it, thanks for the tip."),
        ),
        body="""
## Symptoms

Searching in Outlook returns **No results**, or only mail older than a few weeks, although you can see the
message in the folder.

## Cause

Outlook for Windows searches a local index kept by Windows Search. The index is out of date or damaged, often
after an update or when the laptop ran short of disk space.

## Resolution

1. Check the index: click in the search box, then **Search Tools › Indexing Status**. If items remain to be
   indexed, leave Outlook open and the laptop on power for an hour, then try again.
2. Make sure Outlook is in the index:
   1. **File › Options › Search › Indexing Options**.
   2. Click **Modify** and tick **Microsoft Outlook**.
3. Rebuild the index:
   1. In **Indexing Options** click **Advanced › Rebuild**.
   2. Leave the laptop on power; rebuilding for a large mailbox takes several hours.
4. Check that the Windows Search service runs:

   ```powershell
   Get-Service WSearch
   ```

   If **Status** is not **Running**, restart the laptop and check again.

## Meanwhile

Search in Outlook on the web (`https://outlook.office.com`): it searches on the server and finds everything.
""",
    ),
    DemoArticle(
        title="Teams calls: others cannot hear you",
        summary="Pick the right microphone in Teams, allow microphone access in Windows and clear the Teams cache.",
        categories=("Email & collaboration › Teams & meetings",),
        tags=("teams", "audio", "headset", "microphone"),
        owner="lin",
        services=("Microsoft 365",),
        body="""
## Symptoms

You hear the others but they cannot hear you, or you hear nothing at all. Often right after plugging in a
headset or docking the laptop.

## Cause

Teams uses another microphone or speaker than the one you expect (the docking station's or the monitor's, for
example), or Windows blocks Teams from using the microphone.

## Resolution

1. **In the call**, click **More (…) › Settings › Device settings** and choose your headset for both
   **Speaker** and **Microphone**. Speak: the bar under the microphone should move.
2. **Before the call**, make a test call: **Settings › Devices › Make a test call**. Teams records you and plays
   it back.
3. **Check Windows privacy**: **Settings › Privacy & security › Microphone**. Switch on **Microphone access**
   and **Let desktop apps access your microphone**.
4. **Check the mute switch** on the headset cable or ear cup, and the laptop's microphone key (often **F4**,
   with a light on it).
5. **Unplug and reconnect** the headset, then pick it again in Teams. Bluetooth headsets: remove the pairing and
   pair them again.

## Still silent?

Quit Teams completely (right-click its tray icon › **Quit**) and clear its cache:

```powershell
Remove-Item "$env:LOCALAPPDATA\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache\\Microsoft\\MSTeams" -Recurse -Force
```

Start Teams again. If that does not help, raise an incident under **Software › Office** with the headset model
and the time of a failed call.
""",
    ),
    DemoArticle(
        title="Start a meeting in a room with a Teams Room console",
        summary="Book the room in your invitation, join from the table console and share your screen over HDMI.",
        categories=("Email & collaboration › Teams & meetings",),
        tags=("teams", "meeting room", "video conference"),
        owner="owen",
        state=IN_REVIEW,
        review_comment="Please add the two new rooms on the 2nd floor, and say who to call when the console is "
        "offline during a meeting.",
        services=("Microsoft 365",),
        body="""
Meeting rooms 3A, 3B, 5A and the boardroom have a Teams Room console on the table, a camera above the screen and
microphones in the ceiling.

## Book the room

Add the room to your Teams meeting invitation like a person: **Add required attendees** › type `Room 3A`, or use
**Room Finder** in Outlook. The room accepts by itself when it is free.

## Start the meeting

1. Tap the console to wake it. Your meeting is in the list.
2. Tap **Join**. The camera and the room's audio start by themselves.
3. To show a laptop, plug in the **HDMI** cable on the table, or join the meeting on your laptop with **Audio
   off** and click **Share**.

Do **not** also join with your laptop's audio on: the room echoes and whistles.

## Meeting not booked?

Tap **Meet** on the console to start a meeting now, then **Add participants** to call colleagues in.

## When you finish

Tap **Leave** on the console. The room stays booked until the end time: if you finish early, release it in
Outlook so that others can use it.

## Problems

- The console says *Offline*: hold its power button for 10 seconds.
- No picture on the screen: use the TV remote to choose input **HDMI 1**.
- Report faults under **Hardware › Monitor**, with the room's name.
""",
    ),
    # -- Devices --------------------------------------------------------------------------------------------------
    DemoArticle(
        title="Printer prints blank pages",
        summary="Print a configuration page to tell a printer fault from a laptop one; check the toner seal first.",
        categories=("Devices › Printers",),
        tags=("printer", "toner", "blank pages"),
        owner="lin",
        tickets=(("Printer on floor 2 prints blank pages", False),),
        body="""
## Symptoms

The printer takes the job and feeds paper, but the pages come out blank, or almost blank with faint streaks.

## Cause

- A new toner cartridge with its protective seal still in place.
- Toner empty or nearly empty: some models keep printing blank pages rather than stopping.
- A driver mismatch: the laptop sends the job in a language the printer does not understand (PCL or
  PostScript), usually after a printer was replaced and the laptops kept the old driver.

## Resolution

1. **Print a configuration page** from the printer itself: on its panel, **Menu › Reports › Configuration
   Page**. If this page is blank too, the problem is in the printer (steps 2 and 3). If it prints fine, the
   problem is on the laptop (step 4).
2. **Check the toner**: open the front cover, pull out the cartridge and look for an orange or yellow pull tab.
   Remove it, shake the cartridge gently from side to side and put it back.
3. **Toner below 5 %?** Spare cartridges are in the supply cupboard on each floor. If none are left, tell the
   service desk.
4. **Reinstall the printer on the laptop**:
   1. **Settings › Bluetooth & devices › Printers & scanners**, choose the printer, **Remove**.
   2. Add it again from the print server (see *Add a network printer on Windows or macOS*).

## Report it

If the configuration page is blank with a full, unsealed cartridge, the drum or the laser unit is faulty. Raise
an incident under **Hardware › Printer** with the printer's name from the label on its front (for example
`PRN-2F-KITCHEN`), and stick a note on it so that colleagues don't keep printing to it.
""",
    ),
    DemoArticle(
        title="Add a network printer on Windows or macOS",
        summary="Connect to a printer shared from print01, or print to FollowMe and collect the job with your badge.",
        categories=("Devices › Printers",),
        tags=("printer", "print01", "followme"),
        owner="lin",
        feedback=(("bob", True, ""),),
        body="""
All office printers are shared from the print server `print01`. Connecting through the server installs the right
driver by itself and lets you use **FollowMe** secure printing.

## Windows

1. Press **Windows + R**, type `\\\\print01` and press **Enter**. A window lists every printer.
2. Find the one you want: the names say the floor and the place, for example `PRN-3F-EAST`.
3. Double-click it. Windows installs the driver and opens the print queue: the printer is ready.
4. Optional: **Settings › Bluetooth & devices › Printers & scanners**, pick the printer, **Set as default**.

Or from PowerShell:

```powershell
Add-Printer -ConnectionName "\\\\print01\\PRN-3F-EAST"
```

## macOS

1. **System Settings › Printers & Scanners › Add Printer, Scanner or Fax**.
2. Click the **IP** tab (the globe).
3. Address: `print01.example.com`; Protocol: **Line Printer Daemon – LPD**; Queue: the printer's name, for
   example `PRN-3F-EAST`.
4. Use: **Select Software…** and pick the model on the printer's label, or **Generic PostScript Printer**.
5. Click **Add**.

## FollowMe printing

Print to **FollowMe** instead of a named printer, walk to any printer and hold your badge on the reader: your
job comes out there. Jobs not collected within 24 hours are deleted.

## The printer is not in the list

You need to be in the office or on the VPN. If the list is empty on the VPN too, raise an incident under
**Hardware › Printer**.
""",
    ),
    DemoArticle(
        title="Clear a stuck print queue on the print server",
        summary="Remove the jobs of one printer on print01; restart the spooler only when a job will not delete.",
        categories=("Devices › Printers",),
        tags=("printer", "print01", "spooler", "runbook"),
        owner="lee",
        audience=INTERNAL,
        body="""
**Engineers only.** Use this when the jobs for one printer pile up with the status *Error* or *Deleting* and new
jobs wait behind them, while the printer itself is online and prints its configuration page.

## 1. Check the printer first

Ping it and open its web page (`http://<printer address>`) to rule the printer out: paper, toner, an error on
its panel. A printer that is offline shows a stuck queue too.

## 2. Clear the queue of one printer

On `print01`, in an elevated PowerShell:

```powershell
Get-PrintJob -PrinterName "PRN-2F-KITCHEN" | Format-Table Id, DocumentName, UserName, JobStatus
Get-PrintJob -PrinterName "PRN-2F-KITCHEN" | Remove-PrintJob
```

## 3. A job will not delete

Restart the spooler. This briefly interrupts printing on **every** printer of the server, so tell the desk and
do it between the peaks (not at 9:00 or 17:00).

```powershell
Stop-Service Spooler -Force
Remove-Item C:\\Windows\\System32\\spool\\PRINTERS\\* -Force
Start-Service Spooler
```

## 4. It keeps happening

- Read the event log **Microsoft-Windows-PrintService/Admin** for driver crashes (events 372 and 808).
- For a driver that crashes the spooler, set the printer's driver isolation to **Isolated** in Print
  Management, so that it no longer takes the whole spooler down.
- Link the incident to this article and note the driver's version in the work notes.
""",
    ),
    DemoArticle(
        title="Laptop is slow after an update",
        summary="Restart properly, leave it on power for an hour, free disk space and check what Task Manager shows.",
        categories=("Devices › Laptops",),
        tags=("laptop", "windows update", "performance"),
        owner="lin",
        body="""
## Symptoms

After Windows installs updates, the laptop takes minutes to start, the fan is loud and apps freeze for seconds
at a time.

## Cause

For the first hours after a big update Windows is still busy in the background: finishing the update,
rebuilding the search index and scanning files with Defender. A laptop that has not been restarted for weeks may
also be half-way through an update it is waiting to finish.

## Resolution

1. **Restart properly.** Use **Start › Power › Restart**, not *Shut down*: with Fast Startup, shutting down does
   not finish pending updates.
2. **Leave it on power for an hour** after a big update, connected to the office network or the VPN.
3. **See what is busy**: **Ctrl + Shift + Esc** opens Task Manager; sort by **CPU** and by **Disk**.
   *Antimalware Service Executable*, *Windows Search Indexer* and *Windows Modules Installer* settle by
   themselves.
4. **Free disk space**: less than 10 GB free slows everything down. Run **Disk Cleanup** › **Clean up system
   files** and tick **Windows Update Cleanup**.
5. **Look for further updates**: **Settings › Windows Update › Check for updates**, and **Sync** in Company
   Portal.

How long since the last restart? In PowerShell:

```powershell
(Get-Date) - (Get-CimInstance Win32_OperatingSystem).LastBootUpTime
```

## Still slow the next day?

Raise an incident under **Hardware › Laptop**. Give the laptop's name (on the label underneath, like `LT-1001`)
and a screenshot of Task Manager's **Performance** tab. Laptops older than four years are due for replacement:
your manager can order a **Standard laptop** in the catalog.
""",
    ),
    DemoArticle(
        title="Find your BitLocker recovery key",
        summary="Read the 48-digit key for your laptop on the My Account device page, or call the desk to read it out.",
        categories=("Devices › Laptops",),
        tags=("laptop", "bitlocker", "encryption"),
        owner="ivan",
        feedback=(("fred", True, "Found it on my phone in the hotel. Great."),),
        body="""
Company laptops are encrypted with BitLocker. After a BIOS update, a repair or several wrong PINs, the laptop may
ask for the 48-digit **recovery key** before Windows starts.

## Get the key yourself

1. On another device (your phone works), open `https://myaccount.microsoft.com/device-list`.
2. Sign in with your company account.
3. Find the laptop by its name (on the label underneath, like `LT-1001`) and click **View BitLocker Keys**.
4. Match the **Key ID** on the blue recovery screen with the start of the ID on the page.
5. Type the 48 digits on the laptop. The number keys along the top of the keyboard work; on some models the keys
   **F1** to **F10** do too.

## No second device?

Call the service desk on **8000**. We check who you are and read you the key.

## After you are in

Windows starts normally. If the laptop asks for the key at every start:

- Restart once more: the first start after a BIOS update sometimes asks twice.
- If it still asks, do not suspend BitLocker yourself: raise an incident under **Hardware › Laptop** so that we
  check the laptop's security chip (TPM).

> Never write the recovery key on the laptop or keep it in the laptop bag. Anyone with the laptop and the key
> can read your data.
""",
    ),
    DemoArticle(
        title="Set up company email on your phone (Outlook mobile)",
        summary="Company mail on phones goes through the Outlook app; reset the account in it when mail stops.",
        categories=("Devices › Phones", "Email & collaboration › Outlook"),
        tags=("phone", "outlook", "mobile", "intune"),
        owner="lin",
        services=("Email", "Microsoft 365"),
        body="""
Company email, calendar and contacts on phones go through the **Outlook** app. The iPhone's built-in Mail app and
other mail apps are blocked for company accounts.

## Steps

1. Install **Microsoft Outlook** and **Microsoft Authenticator** from the App Store or your app store.
2. Install **Intune Company Portal** as well and sign in: the company protects its data on the phone with it. On
   a personal phone it manages the company apps only, never your photos or messages.
3. Open Outlook, tap **Add account** and enter your email address.
4. Sign in and approve the request in Authenticator.
5. When Outlook asks for a PIN for company data, choose one of six digits.

Mail appears within a few minutes. Teams, OneDrive and the other Microsoft apps sign in with the same account.

## Mail stops syncing

- In Outlook: your picture › gear › your account › **Reset account**. This downloads your mail again and fixes
  most stops.
- Check that the phone lets Outlook work in the background (iPhone: **Settings › General › Background App
  Refresh**; Android: the battery settings of the app).
- After a password change, Outlook asks for the new one within an hour. If it does not, remove the account and
  add it again.

## Lost your phone?

Call the service desk on **8000** at once. We remove the company data from it remotely; your own data stays.
""",
    ),
    # -- Software, files --------------------------------------------------------------------------------------------
    DemoArticle(
        title="Install software from Company Portal",
        summary="Approved programs install from Company Portal without an administrator; others are ordered.",
        categories=("Software › Installation",),
        tags=("software", "company portal", "intune"),
        owner="lin",
        revision=Revision(
            note="Programs not in Company Portal: the catalog items to order them.",
            changes=(
                (
                    "It needs a licence or a security check first. Raise a request with the service desk and tell "
                    "us the\nexact product and version and why you need it.",
                    "It needs a licence or a security check first:\n\n"
                    "- Licensed programs on the approved list (Visio, Project, Acrobat Pro, Zoom) are ordered in "
                    "the service\n  catalog: **Application services › Office software › Software from the approved "
                    "list**.\n"
                    "- Anything else goes through a **Purchase request**. Your manager approves it and IT Security "
                    "checks the\n  product before we buy it.",
                ),
            ),
        ),
        body="""
Approved software is installed from **Company Portal** without an administrator. It installs in the background
and keeps itself up to date.

## Steps

1. Open **Company Portal** from the Start menu (on macOS: **Applications › Company Portal**).
2. Click **Apps** and search for the program, for example *7-Zip*, *Adobe Acrobat Reader* or *Visual Studio
   Code*.
3. Click **Install**. The status changes to *Downloading*, then to *Installed*.
4. Start the program from the Start menu. It asks for a restart only when the program needs one.

## The program is not in Company Portal

It needs a licence or a security check first. Raise a request with the service desk and tell us the
exact product and version and why you need it.

## The installation fails

- Check that you have at least 5 GB free.
- Click **Sync** under **Company Portal › Settings** and try again after ten minutes.
- The status says *Failed* with an error code: raise an incident under **Software** and give the code.

## Why can't I install it myself?

Laptops have no local administrator rights. Programs downloaded from the internet are the most common way
malware gets in, and unlicensed copies put the company at legal risk. The Company Portal apps are tested and
licensed.
""",
    ),
    DemoArticle(
        title="Install Python and pip packages behind the company proxy",
        summary="Python from Company Portal, a virtual environment per project and pip pointed at the package mirror.",
        categories=("Software › Installation",),
        tags=("python", "pip", "developer tools", "proxy"),
        owner="lee",
        state=DRAFT,
        services=("GitLab",),
        body="""
Developers install Python from Company Portal (**Python 3.12**). `pip` has to use the company package mirror,
because the internet proxy blocks direct downloads from pypi.org.

## Steps

1. Install **Python 3.12** from Company Portal.
2. Make a virtual environment for each project:

   ```powershell
   py -3.12 -m venv .venv
   .venv\\Scripts\\Activate.ps1
   ```

3. Point pip at the mirror, once per user:

   ```powershell
   pip config set global.index-url https://nexus.example.com/repository/pypi/simple
   ```

4. Install packages as usual, for example `pip install requests`.

## To do

- Steps for macOS (Homebrew or the python.org installer?).
- The `CERTIFICATE_VERIFY_FAILED` error behind the proxy, and where to get the company's root certificate.
- Ask the Developer Platform team whether the mirror will also serve conda packages.
""",
    ),
    DemoArticle(
        title="Excel crashes or freezes when opening a file",
        summary="Start Excel in safe mode to find a bad add-in, repair the file, or copy a large file off the share.",
        categories=("Software › Office",),
        tags=("excel", "office", "crash", "add-ins"),
        owner="lin",
        services=("Microsoft 365",),
        body="""
## Symptoms

Excel stops responding or closes when you open one particular workbook, or every workbook. Sometimes it offers
to start in safe mode.

## Cause

Most often an add-in (a PDF tool, an old ERP export add-in), a damaged file, or a very large workbook opened from
a file share over the VPN.

## Resolution

1. **Start Excel in safe mode**: hold **Ctrl** while you start Excel, or press **Windows + R** and run:

   ```bat
   excel /safe
   ```

   If the file opens in safe mode, an add-in is the cause.
2. **Switch off add-ins**: **File › Options › Add-ins**, at the bottom **Manage: COM Add-ins › Go**. Clear them
   all, restart Excel and switch them on again one at a time to find the culprit.
3. **Repair a damaged file**: **File › Open › Browse**, select the file, click the arrow next to **Open** and
   choose **Open and Repair**.
4. **Large file on a share**: copy it to your laptop, open it there and copy it back when you are done. Over the
   VPN a 100 MB workbook can take minutes to open and look frozen meanwhile.
5. **Repair Office**: **Settings › Apps › Installed apps › Microsoft 365 › Modify › Quick Repair**. If that does
   not help, run **Online Repair** (about 30 minutes, and it needs the internet).

## Report it

If one file crashes Excel for everyone, do not send it around. Raise an incident under **Software › Office** and
give the file's path on the share.
""",
    ),
    DemoArticle(
        title="ERP: “Posting period is not open” when posting an invoice",
        summary="Entries dated in a closed accounting period are refused: check the posting date or ask Finance.",
        categories=("Software › ERP & finance",),
        tags=("erp", "finance", "posting period", "month-end"),
        owner="lee",
        services=("ERP",),
        feedback=(("gina", True, "It was the date, 2024 instead of 2025."),),
        body="""
## Symptoms

Posting a supplier invoice or a journal entry in the ERP fails with:

```text
Posting period 012 2025 is not open for account type K
```

## Cause

Finance closes each accounting period after the month-end close. Entries dated in a closed period are refused.
The new period is opened by the finance controller on the first working day of the month, usually by 10:00.

## Resolution

1. **Check the posting date** on the document. A typing slip (2024 instead of 2025) is the most common cause.
2. **Post in the current period.** If the invoice belongs to last month but that period is closed, ask your
   finance controller whether to post it in the current period with a note.
3. **The current period is not open yet** (first morning of the month): wait until 10:00, or ask Finance to
   open it earlier.
4. **Only one account type is closed** (the message names it: `K` suppliers, `D` customers, `S` general ledger):
   Finance may open that type for you for a short time.

The service desk cannot open periods: that is a decision for Finance. Write to `finance@example.com` with the
document number and the posting date you need.

## It happens in a period that is open

Send a screenshot of the whole message and the document number to the service desk under **Software › ERP**:
the period table may be out of step between company codes.
""",
    ),
    DemoArticle(
        title="Map a network drive to a file share",
        summary="Give a share on fs01 a drive letter in File Explorer or connect to it from Finder.",
        categories=("Files & storage › File shares",),
        tags=("file share", "fs01", "network drive"),
        owner="lin",
        services=("fs01",),
        feedback=(("gina", True, ""), ("fred", True, "")),
        body="""
Department shares live on the file server `fs01`. Mapping a share gives it a drive letter in File Explorer, for
example `S:` for your department.

## Windows

1. Open **File Explorer**, right-click **This PC** and choose **Map network drive**.
2. Drive: pick a free letter. The company convention is `S:` for your department's share and `P:` for projects.
3. Folder: type the share's path, for example `\\\\fs01\\finance`.
4. Tick **Reconnect at sign-in**. Leave **Connect using different credentials** cleared.
5. Click **Finish**. The drive opens.

From a command prompt:

```bat
net use S: \\\\fs01\\finance /persistent:yes
```

## macOS

1. In Finder, **Go › Connect to Server** (**Cmd + K**).
2. Type `smb://fs01.example.com/finance` and click **Connect**.
3. Sign in with your network username and password and tick **Remember this password in my keychain**.

## Access denied

You need permission for the share, and the share's owner decides. Ask the owner, or raise a ticket under
**Access › Permissions** with the share's path: we ask the owner to approve. After the approval, sign out and in
again (or restart) so that the new permission applies.

## The drive shows a red cross

You are out of the office without the VPN, or the laptop connected before the network was ready. Connect the VPN
and double-click the drive.
""",
    ),
    DemoArticle(
        title="Restore a previous version of a file on a file share",
        summary="Snapshots on fs01 let you restore files from the last 30 days yourself; older ones come from backup.",
        categories=("Files & storage › File shares",),
        tags=("file share", "fs01", "restore", "snapshots"),
        owner="lin",
        services=("fs01",),
        body="""
The file shares on `fs01` keep snapshots twice a day (at 7:00 and 12:00) for 30 days. You can get back a deleted
or overwritten file yourself, without a ticket.

## Restore an overwritten file

1. In File Explorer, right-click the file and choose **Properties › Previous Versions**.
2. Pick a version by its date and click **Open** to check that it is the one you want.
3. Click the arrow next to **Restore**, choose **Restore To…** and save it under a new name next to the current
   file. (**Restore** on its own overwrites today's file.)

## Restore a deleted file

Files deleted on a share do not go to your Recycle Bin.

1. Right-click the **folder** that held the file and choose **Properties › Previous Versions**.
2. Open a version from before the deletion.
3. Copy the file from it into the current folder.

## Older than 30 days, or a whole folder

Order **Restore deleted files** in the catalog (**Infrastructure services › Storage**). Give the full path, for
example `\\\\fs01\\projects\\Apollo\\Budget 2025.xlsx`, and roughly when it was deleted. We restore from the
nightly backup, which goes back 90 days.

## OneDrive and Teams files

These are not on `fs01`: use the **Recycle bin** and **Version history** of OneDrive or SharePoint on the web.
""",
    ),
    DemoArticle(
        title="Restore files on fs01 for a “Restore deleted files” request",
        summary="Fulfil the catalog's restore request: from a snapshot if recent, else from the nightly backup.",
        categories=("Files & storage › File shares", "Infrastructure › Servers"),
        tags=("file share", "fs01", "restore", "backup", "runbook"),
        owner="lee",
        audience=INTERNAL,
        services=("fs01",),
        body="""
**Engineers only.** How the Server & Storage team fulfils the task *Restore from the backup* of a **Restore
deleted files** request. The request gives the path, roughly when it was deleted and where to restore to.

## 1. Check the request

- The requester must have access to the folder today. If they do not, ask the share's owner in the request
  before restoring anything.
- Note whether they chose **The original place (overwrite)** or **Another folder**.

## 2. Less than 30 days ago: use a snapshot

On `fs01`, in an elevated PowerShell:

```powershell
vssadmin list shadows /for=D:
$snap = (Get-CimInstance Win32_ShadowCopy | Sort-Object InstallDate | Select-Object -Last 1).DeviceObject
cmd /c mklink /d C:\\Restore\\snap "$snap\\"
robocopy "C:\\Restore\\snap\\Shares\\finance\\2025" "D:\\Shares\\finance\\2025\\_restored" /E /COPY:DATSO /R:1 /W:1
```

Pick the snapshot from just before the deletion, not simply the latest. Remove the link afterwards with
`rmdir C:\\Restore\\snap`.

## 3. Older: restore from the nightly backup

1. In the backup console, open the job **fs01-shares** and choose **Restore › Files and folders**.
2. Pick the restore point from the night before the deletion.
3. Restore to the folder the requester asked for; for *the original place*, choose **Keep both** rather than
   overwrite unless the request says otherwise.

Backups go back 90 days. For anything older, tell the requester in the request and close the task as not
possible.

## 4. Finish

- Check the permissions on the restored files match the folder's.
- Complete the task with the restored path and the snapshot or restore point used. The desk tells the
  requester.
""",
    ),
    # == 简体中文 ==================================================================================================
    # -- 网络 -----------------------------------------------------------------------------------------------------
    DemoArticle(
        title="在家连接公司 VPN（GlobalProtect）",
        summary="打开 GlobalProtect 客户端，连接 vpn.example.com，并确认能访问内网系统。",
        language=ZH,
        categories=("Network › VPN",),
        tags=("VPN", "GlobalProtect", "远程办公"),
        owner="lee",
        services=("Remote access (VPN)", "vpn-gw01"),
        revision=Revision(
            note="登录方式改为 Microsoft 统一认证，需要在 Authenticator 中批准。",
            changes=(
                (
                    "4. 输入域账号（即公司邮箱 @ 前面的部分）和开机密码。",
                    "4. 弹出 Microsoft 登录页面，输入公司邮箱和密码，"
                    "并在手机上的 Microsoft Authenticator 中批准登录请求。",
                ),
            ),
        ),
        feedback=(("fred", True, "出差时按这个步骤连上了。"),),
        body="""
在公司外访问内部系统（ERP、共享盘、内网门户）需要先连接 VPN。Microsoft 365 邮件、Teams 和 OneDrive 不需要 VPN。

## 准备工作

- 公司配发的笔记本，已安装 **GlobalProtect**（标准镜像自带；如缺失，请在"公司门户"中安装）。
- 域账号和密码，以及手机上的 Microsoft Authenticator。
- 可用的互联网连接。酒店、机场的 Wi-Fi 通常需要先在浏览器中完成认证。

## 操作步骤

1. 点击任务栏右下角（macOS 为顶部菜单栏）的 **GlobalProtect** 地球图标。
2. 首次使用时，门户地址填写 `vpn.example.com`，点击 **连接**。
3. 网关保持 **最佳可用**，客户端会自动选择最近的网关。
4. 输入域账号（即公司邮箱 @ 前面的部分）和开机密码。
5. 图标上出现盾牌、窗口显示 **已连接**，即表示连接成功。

下班后请点击 **断开连接**。会话空闲 12 小时后也会自动断开。

## 验证连接

在浏览器中打开 `https://intranet.example.com`，能正常打开即说明 VPN 已连通。也可以在 PowerShell 中执行：

```powershell
Test-NetConnection intranet.example.com -Port 443
```

结果显示 `TcpTestSucceeded : True` 即正常。

## 常见提示

| 提示信息 | 处理方法 |
|---|---|
| *Authentication failed* | 检查大小写锁定；密码已过期的，请先自助重置密码。 |
| *Gateway not responding* | 当前网络屏蔽了 VPN，可改用手机热点再试。 |
| *Certificate not trusted* | 不要继续连接，请致电服务台核实地址。 |

频繁断线请参见《VPN 频繁断线的处理方法》。仍无法连接的，请在服务门户提交事件单（分类：**Network › VPN**），\
并附上报错截图。
""",
    ),
    DemoArticle(
        title="VPN 频繁断线的处理方法",
        summary="VPN 几分钟断一次，多数是家里网络的问题：关闭无线网卡节能、检查丢包。",
        language=ZH,
        categories=("Network › VPN",),
        tags=("VPN", "GlobalProtect", "断线", "远程办公"),
        owner="lee",
        services=("Remote access (VPN)",),
        body="""
## 问题现象

VPN 能连上，但几分钟后就断开并自动重连；通过 VPN 开的 Teams 会议卡顿，复制共享盘文件到一半失败，ERP 频繁要求重新登录。

## 原因

绝大多数情况下是笔记本到互联网这一段的问题，而不是公司 VPN 网关：

- 无线网卡为了省电进入休眠，隧道超时断开；
- 离路由器太远或 2.4 GHz 频段拥挤，Wi-Fi 信号弱；
- 部分家用路由器和 4G 随身 Wi-Fi 会丢弃 VPN 优先使用的 UDP（IPsec）流量，客户端切换到 SSL 时会重连。

## 解决方法

1. **尽量使用网线**。插上网线后不再断线，说明是 Wi-Fi 的问题。
2. **关闭无线网卡节能**（Windows）：
   1. 右键点击 **开始** › **设备管理器** › **网络适配器**。
   2. 双击无线网卡 › **电源管理**。
   3. 取消勾选 **允许计算机关闭此设备以节约电源**，点击 **确定**。
3. **靠近路由器**，或改连家里 Wi-Fi 的 5G 频段。
4. **重启家用路由器**：拔掉电源，30 秒后再插上。
5. **检查丢包**：连上 VPN 后在 PowerShell 中执行：

   ```powershell
   ping -n 50 intranet.example.com
   ```

   丢包超过 2% 说明宽带线路本身不稳定，请联系宽带运营商。

## 仍然频繁断线

请提交事件单（分类：**Network › VPN**），并附上客户端日志：\
在 GlobalProtect 中点击齿轮图标 › **设置** › **故障排除** › **收集日志**，把生成的压缩包作为附件上传。\
请同时注明宽带运营商，以及使用的是 Wi-Fi 还是网线。
""",
    ),
    DemoArticle(
        title="笔记本连接办公室无线网络 CORP-WIFI",
        summary="公司笔记本使用电脑证书自动连接 CORP-WIFI；弹出账号密码框说明证书需要更新。",
        language=ZH,
        categories=("Network › Wi-Fi",),
        tags=("Wi-Fi", "CORP-WIFI", "无线网络", "证书"),
        owner="lin",
        services=("Office Wi-Fi",),
        feedback=(("fred", True, ""), ("sam", True, "证书过期了，执行 gpupdate 之后就好了。")),
        body="""
办公区有两个无线网络：

| 网络名称 | 适用对象 | 认证方式 |
|---|---|---|
| **CORP-WIFI** | 公司笔记本 | 自动（使用电脑证书） |
| **GUEST-WIFI** | 访客、个人手机 | 访客码（在服务目录申请 **Guest Wi-Fi voucher**） |

公司笔记本会自动连接 **CORP-WIFI**。如果没有自动连接，请按以下步骤处理。

## Windows

1. 点击任务栏上的网络图标，选择 **CORP-WIFI** › **连接**。
2. 如果弹出用户名和密码输入框，请点击 **取消**：正常情况下电脑使用证书认证，弹框说明证书缺失或已过期。
3. 先通过其他网络（访客网络或手机热点）连接一次 VPN，然后打开命令提示符执行：

   ```bat
   gpupdate /force
   ```

   该命令会更新电脑证书。重启后再连接 **CORP-WIFI**。

## macOS

1. 打开 **系统设置 › 隐私与安全性 › 描述文件**，确认列表中有 **Corp Wi-Fi**。
2. 如果没有，打开 **公司门户（Company Portal）**，点击 **检查状态**，几分钟后描述文件会重新下发。
3. 在 Wi-Fi 菜单中选择 **CORP-WIFI**。

## 列表中找不到 CORP-WIFI

- 确认无线网卡已打开（部分机型有飞行模式快捷键，如 **Fn + F2**）。
- 电梯、楼梯间和地下车库没有信号覆盖。
- 如果周围同事也搜不到，可能是无线 AP 故障：请提交事件单（分类：**Network › Wi-Fi**），注明楼层和附近的会议室编号。
""",
    ),
    DemoArticle(
        title="重置交换机端口",
        summary="工位网口不通或端口被 err-disabled 时，定位接入交换机端口、排除原因后重置并记录。",
        language=ZH,
        audience=INTERNAL,
        categories=("Network › Wired network",),
        tags=("交换机", "端口", "err-disabled", "运维手册"),
        owner="lee",
        body="""
**仅限工程师。** 适用于：用户工位网口不通、端口因安全策略被关闭（err-disabled），或端口协商异常导致速率只有 10/100M。

## 1. 确认端口

1. 工位网口面板上的编号（如 `3F-A-024`）对应配线架端口，在《楼层配线表》（`\\\\fs01\\netops\\cabling`）\
中查到交换机名称和端口号。
2. 也可以根据电脑的 MAC 地址在接入交换机上查找：

   ```text
   show mac address-table address 0c9d.9212.3a4f
   ```

## 2. 查看端口状态

```text
show interfaces GigabitEthernet1/0/24 status
show interfaces GigabitEthernet1/0/24 | include error|CRC|duplex
show logging | include Gi1/0/24
```

状态为 `err-disabled` 时，日志中会写明原因，常见的有 `psecure-violation`（端口安全：接了多台设备或私接小交换机）\
和 `bpduguard`（接了会发送 BPDU 的设备）。

## 3. 重置端口

先排除原因（例如拔掉私接的交换机），再执行：

```text
configure terminal
interface GigabitEthernet1/0/24
 shutdown
 no shutdown
end
```

由端口安全触发的，还需要清除已学习的 MAC 地址：

```text
clear port-security sticky interface GigabitEthernet1/0/24
```

## 4. 验证并记录

- `show interfaces Gi1/0/24 status` 显示 `connected`，速率为 `a-1000`。
- 请用户重新插拔网线，测试能否访问内网。
- 在工单的工作备注中记录交换机名称、端口、原因和处理方式。同一端口一周内重复出问题的，\
转 **Network Operations** 组排查线缆。

> 不要为了省事关闭端口安全或 BPDU Guard，相关配置变更必须走变更流程。
""",
    ),
    DemoArticle(
        title="VPN 网关证书更新操作手册",
        summary="vpn-gw01 的 SSL 证书每年更新一次：导入新证书、替换 SSL/TLS 服务配置、提交并验证。",
        language=ZH,
        audience=INTERNAL,
        categories=("Network › VPN",),
        tags=("VPN", "证书", "GlobalProtect", "运维手册"),
        owner="lee",
        services=("Remote access (VPN)", "vpn-gw01"),
        body="""
**仅限工程师。** VPN 网关 `vpn-gw01` 的 SSL 证书每年更新一次，到期前 30 天监控会发出提醒。\
证书过期会导致所有远程用户无法连接，务必在到期前完成更新。

## 准备

- 变更单已批准，更新窗口安排在工作日 20:00 以后。
- 从证书平台下载新证书（PEM 格式，含完整证书链）和私钥，文件按 `vpn.example.com-年份` 命名。
- 核对证书信息：

  ```bash
  openssl x509 -in vpn.example.com-2026.pem -noout -subject -issuer -dates -ext subjectAltName
  ```

  确认 CN 和 SAN 为 `vpn.example.com`，有效期正确。

## 操作步骤

1. 登录网关管理界面，**Device › Certificate Management › Certificates › Import**，导入新证书和私钥，\
证书名称填写 `vpn-2026`。
2. **Device › Certificate Management › SSL/TLS Service Profile**，打开 `GP-Portal-Profile`，\
把证书改为 `vpn-2026`；`GP-Gateway-Profile` 同样修改。
3. 点击 **Commit** 提交配置。已连接的用户不会掉线，新建的连接使用新证书。
4. 在外网电脑上验证：

   ```bash
   openssl s_client -connect vpn.example.com:443 -servername vpn.example.com </dev/null 2>/dev/null \\
     | openssl x509 -noout -dates
   ```

5. 用测试账号从外网实际连接一次 VPN。

## 回退

连接异常时，把两个 SSL/TLS Service Profile 改回旧证书并再次 Commit。旧证书到期前仍然有效。

## 收尾

- 在 CMDB 中更新 `vpn-gw01` 的证书到期日。
- 关闭变更单，备注新证书的序列号。
- 新证书运行一周后删除旧证书。
""",
    ),
    DemoArticle(
        title="浏览器访问内网提示“您的连接不是私密连接”",
        summary="内网证书报错多半是电脑时间不对或缺少公司根证书；不要点击“继续前往”。",
        language=ZH,
        categories=("Network",),
        tags=("证书", "浏览器", "内网"),
        owner="ivan",
        body="""
## 问题现象

用浏览器打开内网系统时提示 **您的连接不是私密连接**，\
错误代码为 `NET::ERR_CERT_AUTHORITY_INVALID` 或 `NET::ERR_CERT_DATE_INVALID`。

## 原因

- 内网网站使用公司内部证书颁发机构（CA）签发的证书，电脑上缺少公司根证书（常见于重装过系统的电脑）；
- 电脑系统时间不对，证书被判定为"尚未生效"或"已过期"；
- 网站证书确实已经过期，需要管理员更新。

## 解决方法

1. **检查电脑时间**：如果右下角的时间与手机相差几分钟以上，打开 **设置 › 时间和语言 › 日期和时间**，\
打开 **自动设置时间** 并点击 **立即同步**。
2. **确认地址正确**：内网地址都以 `.example.com` 结尾。地址拼错或直接用 IP 访问，同样会报证书错误。
3. **公司笔记本**：连接公司网络或 VPN 后执行以下命令更新组策略，公司根证书会自动安装：

   ```bat
   gpupdate /force
   ```

   重启浏览器后再访问。
4. **查看证书**：点击 **高级**，如果显示证书已过期，说明是网站的问题，请截图报障。

> 请不要点击"继续前往（不安全）"，也不要自行安装来源不明的证书。外部网站提示证书错误时，更要立即停止访问。

## 报障

请提交事件单（分类：**Network › Wired network**），附上网址和报错截图（点开"高级"之后的页面）。
""",
    ),
    # -- 账号与安全、邮件与协作 -------------------------------------------------------------------------------------
    DemoArticle(
        title="使用 Microsoft Authenticator 设置多重身份验证（MFA）",
        summary="在手机上注册 Authenticator、添加备用验证方式，并在更换手机时安全迁移。",
        language=ZH,
        categories=("Accounts & security › MFA",),
        tags=("MFA", "Authenticator", "多重身份验证", "安全"),
        owner="ivan",
        services=("Microsoft 365",),
        feedback=(("carol", True, ""),),
        body="""
多重身份验证（MFA）在密码之外再加一道保护：登录时需要在手机上确认。公司邮箱、Teams、\
VPN 及所有公司 Web 应用均要求开启 MFA。

## 准备工作

- 一部智能手机，从 App Store 或手机自带的应用市场安装 **Microsoft Authenticator**。
- 一台能打开 `https://mysignins.microsoft.com/security-info` 的电脑。

## 操作步骤

1. 在电脑上打开 `https://mysignins.microsoft.com/security-info` 并登录。
2. 点击 **添加登录方法** › **验证器应用**，一直点击 **下一步**，直到页面显示二维码。
3. 在手机上打开 Authenticator，点击 **+** › **工作或学校帐户** › **扫描二维码**。
4. 扫描电脑屏幕上的二维码，App 中会出现公司帐户。
5. 回到电脑点击 **下一步**。手机会收到一条测试通知，输入电脑上显示的数字并点击 **是**。
6. 建议再添加一种备用方式：**添加登录方法** › **电话**，填写手机号码用于接收短信验证码。

## 日常使用

登录时屏幕上会显示一个两位数字。打开手机上的通知，输入该数字，再用指纹或 PIN 确认即可。

> **不是本人发起的登录请求，一律不要批准。** 如果手机突然收到陌生的登录确认，请点击 **否，不是我**，\
并立即修改密码——这说明你的密码已经泄露。

## 更换手机

请在旧手机恢复出厂设置 **之前** 完成迁移：按上述步骤在新手机上添加帐户，再到 **安全信息** 页面删除旧手机。\
旧手机已经丢失或损坏的，请致电服务台（分机 **8000**）重置 MFA，我们会回拨通讯录中登记的号码核实身份。
""",
    ),
    DemoArticle(
        title="密码过期后笔记本无法登录",
        summary="在公司外重置密码后，先用旧密码登录电脑、连上 VPN，再锁屏用新密码解锁完成同步。",
        language=ZH,
        categories=("Accounts & security › Passwords", "Devices › Laptops"),
        tags=("密码", "笔记本", "VPN", "账号锁定"),
        owner="lin",
        feedback=(("sam", True, "出差时就是这个问题，锁屏再解锁就好了。"),),
        body="""
## 问题现象

在家或出差时，电脑提示"密码已过期"；或者刚在手机上重置了密码，笔记本开机时新密码提示错误，旧密码反而能登录。

## 原因

笔记本登录时使用的是本机缓存的密码。重置密码后，只有电脑连上公司网络（办公室网络或 VPN）才会同步新密码。\
在公司外重置密码时，电脑还不知道新密码。

## 解决方法

1. 在开机界面用 **旧密码** 登录电脑。
2. 连接 VPN（VPN 使用 **新密码** 登录）。
3. 连接成功后按 **Windows + L** 锁屏，再用 **新密码** 解锁。这一步会把新密码同步到电脑上。
4. 重启电脑，确认新密码可以正常登录。

如果开机时提示"密码已过期，必须更改"：

1. 在手机或其他电脑上打开 `https://account.example.com`，自助重置密码。
2. 再按上面的步骤：用旧密码登录、连接 VPN、锁屏后用新密码解锁。

## 注意事项

- 重置密码后，手机邮箱、Teams 以及保存过密码的 Wi-Fi 也要更新，否则旧密码反复尝试会导致账号被锁定。
- 账号被锁定 15 分钟后会自动解锁；着急的话可以致电服务台（分机 **8000**）。
- 新旧密码都无法登录的，请带上笔记本到 2 楼服务台处理。
""",
    ),
    DemoArticle(
        title="申请共享文件夹访问权限",
        summary="共享盘权限由共享负责人决定：提交工单注明路径和权限，负责人审批后开通。",
        language=ZH,
        categories=("Accounts & security › Permissions", "Files & storage › File shares"),
        tags=("共享盘", "权限", "fs01"),
        owner="lin",
        services=("fs01",),
        body="""
部门共享盘和项目共享盘的访问权限由每个共享的 **负责人** 决定，IT 按负责人的审批执行。

## 查看共享负责人

在文件资源管理器中右键点击共享文件夹 › **属性 › 安全 › 高级**，"所有者"一栏即为负责人；\
也可以在内网门户的《共享盘清单》中查询。

## 申请步骤

1. 在服务门户提交工单，分类选择 **Access › Permissions**。
2. 写清楚以下内容：
   - 共享路径，例如 `\\\\fs01\\finance\\2025`；
   - 需要的权限：**只读** 或 **读写**；
   - 使用期限（长期，或到某个日期为止）和申请原因。
3. 服务台会请共享负责人在工单中审批，审批通过后一般在 4 个工作小时内开通。
4. 开通后需要 **注销并重新登录**（或重启电脑），权限才会生效。

## 需要新建共享

团队需要新的共享文件夹时，请在服务目录申请 **Team file share**，部门经理审批后自动创建。

## 注意事项

- 只申请工作需要的最小权限，离开项目后请主动申请撤销。
- 财务、人事共享盘的权限每季度复核一次，长期未使用的权限会被收回。
""",
    ),
    DemoArticle(
        title="收到可疑邮件（钓鱼邮件）怎么办",
        summary="识别钓鱼邮件的常见特征，用 Outlook 的“报告”按钮上报；已点链接或输入密码的立即改密码并致电服务台。",
        language=ZH,
        categories=("Accounts & security › Phishing", "Email & collaboration › Outlook"),
        tags=("钓鱼邮件", "信息安全", "Outlook"),
        owner="ivan",
        services=("Email",),
        feedback=(("fred", True, "财务部已经转发给全组了。"), ("gina", True, "")),
        body="""
钓鱼邮件通常冒充领导、财务、快递公司或 IT 部门，诱导你点击链接、输入密码或者转账。收到可疑邮件时，请按以下方法处理。

## 如何识别

- 发件人地址与显示名不符，例如显示为"IT 服务台"，地址却是 `it-support@examp1e-mail.com`；
- 制造紧迫感："账号将在 24 小时内停用""请今天内确认付款"；
- 要求输入密码、验证码，或打开压缩包、带宏的 Office 附件；
- 鼠标悬停在链接上时，显示的真实地址与文字不一致。

公司 IT **从不** 通过邮件索要密码或 MFA 验证码。

## 收到可疑邮件

1. 不要点击链接、不要打开附件、不要回复。
2. 在 Outlook 中选中该邮件，点击工具栏上的 **报告** › **报告网络钓鱼**。邮件会发送给信息安全团队，\
并从你的收件箱中删除。
3. 涉及转账或修改收款账户的邮件，请打电话向对方核实——用通讯录里的号码，不要用邮件里留的号码。

## 已经点了链接或输入了密码

1. 立即在 `https://account.example.com` 修改密码。
2. 致电服务台（分机 **8000**）说明情况，我们会注销你所有的登录会话并检查帐户。
3. 如果打开了附件，请断开网络（拔掉网线、关闭 Wi-Fi），电脑保持开机，等待 IT 安全人员处理。

及时报告不会受到处罚，拖延只会扩大损失。
""",
    ),
    DemoArticle(
        title="Outlook 反复提示输入密码",
        summary="删除凭据管理器中失效的 Office 登录信息后重新登录，仍不行就新建 Outlook 配置文件。",
        language=ZH,
        categories=("Email & collaboration › Outlook",),
        tags=("Outlook", "密码", "凭据管理器"),
        owner=EDITOR,
        services=("Email", "Microsoft 365"),
        body="""
## 问题现象

Outlook 不停弹出 **Windows 安全中心** 或 Microsoft 登录窗口，输入正确的密码后仍然反复出现；\
状态栏显示 **已断开连接** 或 **需要密码**。

## 原因

Outlook 使用的已保存登录凭据已经失效，常见于修改密码或重置 MFA 之后。Windows 一直提供旧的凭据，而不是重新要求登录。

## 解决方法

1. 关闭 Outlook、Teams 和其他 Office 程序。
2. 打开 **控制面板 › 用户帐户 › 凭据管理器 › Windows 凭据**。
3. 在 **普通凭据** 下，删除所有以 `MicrosoftOffice`、`msteams` 或 `OneDrive Cached Credential` 开头的条目。
4. 打开 **设置 › 帐户 › 访问工作单位或学校**。如果公司帐户显示错误，\
点击该帐户选择 **修复**（或 **断开连接** 后重新添加）。
5. 重新打开 Outlook，用公司邮箱和密码登录，并在 Authenticator 中批准。

如果仍然反复弹窗，请新建 Outlook 配置文件：

1. **控制面板 › 邮件（Microsoft Outlook）› 显示配置文件 › 添加**。
2. 名称填写 `Outlook2`，按向导输入公司邮箱。
3. 选择 **始终使用此配置文件：Outlook2**，然后启动 Outlook。邮箱会重新下载，邮件较多时需要等待一段时间。

## 预防

修改密码后，Outlook、Teams、OneDrive 第一次提示登录时请直接完成登录，并同步修改手机上的邮箱密码。\
点击"取消"会让失效的凭据继续留在电脑上。
""",
    ),
    DemoArticle(
        title="Teams 会议共享屏幕时对方看到黑屏",
        summary="改为共享整个屏幕、为 macOS 授予屏幕录制权限、关闭浏览器硬件加速或清除 Teams 缓存。",
        language=ZH,
        categories=("Email & collaboration › Teams & meetings",),
        tags=("Teams", "共享屏幕", "黑屏"),
        owner="lin",
        services=("Microsoft 365",),
        body="""
## 问题现象

在 Teams 会议中共享屏幕，自己这边显示正在共享，但其他参会人看到的是黑屏，或者只看到鼠标在动。

## 原因

- 共享的窗口正在播放受版权保护的内容（如视频播放器、部分浏览器标签页），系统会屏蔽画面；
- 显卡硬件加速与 Teams 不兼容，多见于外接多台显示器时；
- macOS 没有授予 Teams"屏幕录制"权限。

## 解决方法

1. **改为共享整个屏幕**：点击 **共享** 时选择 **屏幕** 而不是单个窗口，先确认能否正常显示。
2. **macOS 授权**：打开 **系统设置 › 隐私与安全性 › 屏幕与系统录音**，勾选 **Microsoft Teams**，\
然后完全退出并重新打开 Teams。
3. **关闭浏览器硬件加速**：共享的是浏览器时，在 Edge 或 Chrome 中打开 **设置 › 系统**，关闭 **使用图形加速**，\
然后重启浏览器。
4. **只接一台显示器测试**：拔掉扩展屏，只在笔记本屏幕上共享。如果恢复正常，请在"公司门户"中点击 **同步**，\
并安装 Windows 更新中的可选驱动更新。
5. **清除 Teams 缓存**：右键点击任务栏上的 Teams 图标选择 **退出**，然后在 PowerShell 中执行：

   ```powershell
   Remove-Item "$env:LOCALAPPDATA\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache\\Microsoft\\MSTeams" -Recurse -Force
   ```

## 仍然黑屏

请在服务门户提交事件单（分类：**Software › Office**），注明电脑编号、显示器的连接方式（HDMI 或扩展坞），\
以及出问题的会议时间。
""",
    ),
    DemoArticle(
        title="会议室视频会议设备使用指南",
        summary="在邀请中添加会议室，用桌上的触控面板一键入会，通过 HDMI 共享笔记本画面。",
        language=ZH,
        categories=("Email & collaboration › Teams & meetings",),
        tags=("Teams", "会议室", "视频会议"),
        owner="owen",
        services=("Microsoft 365",),
        body="""
3A、3B、5A 会议室和大会议室配备了 Teams Room 视频会议设备：桌上的触控面板、屏幕上方的摄像头和吸顶麦克风。

## 预订会议室

在 Outlook 或 Teams 中创建会议时，把会议室当作参会人添加（例如输入 `Room 3A`），\
或使用 Outlook 的 **会议室查找器**。会议室空闲时会自动接受邀请。

## 开始会议

1. 轻触桌上的触控面板将其唤醒，列表中会显示已预订的会议。
2. 点击 **加入**，摄像头和会议室音响会自动开启。
3. 需要共享笔记本画面时，接上桌上的 **HDMI** 线即可；或者用笔记本以 **音频关闭** 的方式加入同一会议，再点击 **共享**。

> 会议室设备已经入会时，请不要再用笔记本打开声音入会，否则会产生回声和啸叫。

## 临时会议

没有预订也可以直接在面板上点击 **会议** 发起临时会议，再通过 **添加参与者** 呼叫同事。

## 结束会议

点击面板上的 **离开**。提前结束的，请在 Outlook 中取消会议室预订，方便其他同事使用。

## 常见问题

| 现象 | 处理方法 |
|---|---|
| 面板显示"脱机" | 长按面板电源键 10 秒重启 |
| 大屏幕没有画面 | 用电视遥控器把信号源切换到 **HDMI 1** |
| 对方听不到声音 | 检查面板上的麦克风是否被静音（红色图标） |

设备故障请提交事件单（分类：**Hardware › Monitor**），注明会议室名称。
""",
    ),
    # -- 设备 -----------------------------------------------------------------------------------------------------
    DemoArticle(
        title="添加网络打印机（Windows / macOS）",
        summary="通过打印服务器 print01 添加打印机，或使用 FollowMe 刷卡打印。",
        language=ZH,
        categories=("Devices › Printers",),
        tags=("打印机", "print01", "刷卡打印"),
        owner="lin",
        body="""
公司所有打印机都通过打印服务器 `print01` 共享。通过服务器添加打印机可以自动安装正确的驱动，\
并支持 **FollowMe** 刷卡打印。

## Windows

1. 按 **Windows + R**，输入 `\\\\print01` 后回车，窗口中会列出所有打印机。
2. 打印机按"楼层-位置"命名，例如 `PRN-3F-EAST` 表示 3 楼东侧。
3. 双击要添加的打印机，Windows 会自动安装驱动并打开打印队列，即添加完成。
4. 如需设为默认打印机：**设置 › 蓝牙和其他设备 › 打印机和扫描仪**，选中该打印机，点击 **设为默认值**。

也可以在 PowerShell 中执行：

```powershell
Add-Printer -ConnectionName "\\\\print01\\PRN-3F-EAST"
```

## macOS

1. **系统设置 › 打印机与扫描仪 › 添加打印机、扫描仪或传真**。
2. 点击 **IP** 标签页（地球图标）。
3. 地址填写 `print01.example.com`，协议选择 **行式打印机守护程序 - LPD**，队列填写打印机名称，如 `PRN-3F-EAST`。
4. "使用"一栏选择 **选择软件…**，按打印机标签上的型号选择驱动；找不到时选择 **通用 PostScript 打印机**。
5. 点击 **添加**。

## 刷卡打印

打印时选择 **FollowMe** 打印机，然后到任意一台打印机前刷工卡即可取件。24 小时内未取的文件会被自动删除。

## 列表中没有打印机

需要在公司内网或已连接 VPN。连接 VPN 后列表仍为空的，请提交事件单（分类：**Hardware › Printer**）。
""",
    ),
    DemoArticle(
        title="打印机显示卡纸但里面没有纸",
        summary="关机后逐个检查进纸通道里的小纸片、整理纸盒、检查纸张传感器，仍报卡纸再报修。",
        language=ZH,
        categories=("Devices › Printers",),
        tags=("打印机", "卡纸"),
        owner="owen",
        revision=Revision(
            note="增加打印清洁页的步骤，补充纸张受潮的说明。",
            changes=(
                (
                    "将纸张抖松、理齐后放回。",
                    "将纸张抖松、理齐后放回。受潮卷曲的纸请直接换掉，纸张拆包后尽量在一周内用完。",
                ),
                (
                    "5. 重新开机，打印一张测试页。",
                    "5. 重新开机后在面板上选择 **菜单 › 维护 › 清洁页**，清理进纸辊上的碳粉和纸屑。\n"
                    "6. 打印一张测试页。",
                ),
            ),
        ),
        feedback=(("bob", True, "第 2 步找到一小片纸，谢谢。"),),
        body="""
## 问题现象

打印机面板提示 **卡纸**（Paper jam），但打开各个盖板都看不到卡住的纸张，关上盖板后提示依然存在。

## 原因

- 纸屑或撕碎的小纸片卡在进纸通道深处，肉眼不容易看到；
- 纸张传感器上积灰，或者传感器拨片没有复位；
- 纸盒内纸张过多、纸张受潮卷曲，导致进纸歪斜。

## 解决方法

1. 在面板上选择 **取消** 当前作业，然后关闭打印机电源，等待 30 秒。
2. 依次打开 **前盖**、**后盖（出纸口）** 和 **双面打印单元**，用手电筒检查通道内有没有小纸片。\
取出时顺着进纸方向轻拉，不要硬扯。
3. 取出纸盒，检查纸张是否超过纸盒内的最高刻度线，将纸张抖松、理齐后放回。
4. 检查纸盒后方的金属拨片（纸张传感器）能否自由弹动。
5. 重新开机，打印一张测试页。

> 定影器附近温度很高，请关机 15 分钟后再触碰，以免烫伤。

## 仍然提示卡纸

请不要反复开关机或强行拉扯，以免损坏进纸轮。在服务门户提交事件单（分类：**Hardware › Printer**），\
注明打印机名称（机身正面的标签，如 `PRN-2F-KITCHEN`）和面板上显示的错误代码，并在打印机上贴一张"故障维修中"的提示。
""",
    ),
    DemoArticle(
        title="手机收不到公司邮件",
        summary="确认使用 Outlook App，重置帐户，并允许 Outlook 在后台运行（华为、小米等机型需单独设置）。",
        language=ZH,
        categories=("Devices › Phones", "Email & collaboration › Outlook"),
        tags=("手机", "Outlook", "邮件同步"),
        owner="lin",
        services=("Email", "Microsoft 365"),
        feedback=(
            ("sam", True, "小米手机按第 3 步设置后正常了。"),
            ("carol", False, "华为鸿蒙系统的菜单路径不一样，找不到“应用启动管理”。"),
        ),
        body="""
## 问题现象

手机上的 Outlook 不再收到新邮件，或者只有打开 App 时才刷新；电脑上的邮件一切正常。

## 原因

- 手机的省电策略限制了 Outlook 在后台运行（安卓手机尤其常见）；
- 修改密码后 Outlook 仍在使用旧的登录信息；
- 使用了手机自带的"邮件"App 或第三方邮箱 App，公司已禁止这类 App 同步公司邮箱。

## 解决方法

1. **确认使用的是 Outlook App**。公司邮箱只能通过 Microsoft Outlook 同步，请在 App Store 或应用市场安装。
2. **重置帐户**：打开 Outlook，点击左上角头像 › 设置（齿轮）› 选择公司帐户 › **重置帐户**。\
大部分同步问题都能这样解决。
3. **允许后台运行**：
   - iPhone：**设置 › 通用 › 后台 App 刷新**，打开 Outlook。
   - 华为：**设置 › 应用和服务 › 应用启动管理**，关闭 Outlook 的"自动管理"，打开"允许后台活动"。
   - 小米：**设置 › 应用设置 › 应用管理 › Outlook › 省电策略**，选择 **无限制**。
4. **修改密码后**：Outlook 通常会在一小时内提示重新登录。如果一直没有提示，删除帐户后重新添加。
5. 确认 **Intune 公司门户** 已登录且没有"不合规"提示；不合规的设备会被阻止访问公司数据。

## 仍然无法同步

请在服务门户提交事件单（分类：**Software › Email**），注明手机品牌型号、系统版本，以及最后一次收到邮件的时间。
""",
    ),
    DemoArticle(
        title="座机通话有杂音或断断续续",
        summary="分别测试话筒、免提和耳机，拨打回声测试号码 8999，检查网线并重启话机。",
        language=ZH,
        categories=("Devices › Phones",),
        tags=("座机", "IP 电话", "杂音"),
        owner="owen",
        body="""
## 问题现象

办公桌上的 IP 电话通话时有"滋滋"的杂音或回声，或者声音断断续续，对方听不清。

## 原因

- 话筒线或耳机线接触不良、线材老化；
- 电话与电脑共用一根网线（电脑接在电话的 PC 口上），电脑大量上传下载时挤占带宽；
- 电话附近有手机、无线充电器等干扰源；
- 外线线路本身有问题（只有拨打某个号码时出现）。

## 排查步骤

1. **换一种方式通话**：分别用话筒、免提和耳机各打一次。只有话筒有杂音的，多半是话筒线的问题，可以到服务台免费更换。
2. **拨打回声测试号码 `8999`**：系统会把你说的话播放回来。测试号码正常而外线有杂音，说明是外线线路的问题。
3. **检查网线**：确认电话背面 **LAN** 口的网线已插紧；电脑接在电话 **PC** 口上的，暂时拔掉电脑的网线再试。
4. **重启话机**：拔掉话机的网线（话机由网线供电），10 秒后重新插上，等待约 1 分钟完成注册。
5. 把手机、无线充电器挪到离话机 30 厘米以外。

## 报障

请在服务门户提交事件单（分类：**Network › Wired network**），注明：

- 分机号和座位号；
- 出现杂音的时间和对方号码（内线还是外线）；
- 以上哪些步骤已经试过。
""",
    ),
    DemoArticle(
        title="新员工笔记本领取与首次开机设置",
        summary="入职当天到 2 楼服务台领取笔记本，用公司邮箱完成首次登录、MFA 和 Windows Hello 设置。",
        language=ZH,
        categories=("Devices › Laptops",),
        tags=("笔记本", "新员工", "入职", "Windows Hello"),
        owner="owen",
        services=("Microsoft 365",),
        body="""
新员工入职时，部门经理通过服务目录的 **New starter onboarding** 申请的笔记本会提前在服务台准备好。\
本文说明领取和首次开机设置。

## 领取

1. 入职当天上午到 **2 楼服务台** 领取笔记本，需出示工卡。
2. 当场核对笔记本编号（机身底部标签，如 `LT-1001`），并在交接单上签字。

## 首次开机

1. 连接 **CORP-WIFI** 或插上网线，接通电源。
2. 开机后选择 **工作或学校帐户**，输入公司邮箱和 HR 短信发送的初始密码。
3. 按提示修改密码，并设置 **Microsoft Authenticator**（参见《使用 Microsoft Authenticator 设置多重身份验证（MFA）\
》）。
4. 设置 Windows Hello：录入指纹或设置 6 位 PIN 码，以后可以直接用指纹登录。
5. 系统会自动安装 Office、Teams、GlobalProtect VPN 等标准软件，大约需要 30–60 分钟，期间请保持通电和联网，\
不要合上屏幕。

## 设置完成后

- 打开 Outlook 和 Teams，确认能正常收发邮件和消息。
- 在"公司门户"中安装工作需要的其他软件。
- 把笔记本编号告诉部门助理，以便登记资产。

## 遇到问题

入职第一天遇到任何问题，都可以直接到 2 楼服务台，或拨打分机 **8000**。
""",
    ),
    DemoArticle(
        title="笔记本电池续航明显变短",
        summary="用 powercfg 生成电池报告判断健康度，找出耗电程序；健康度低于 60% 或鼓包时报修更换。",
        language=ZH,
        categories=("Devices › Laptops",),
        tags=("笔记本", "电池", "续航"),
        owner="owen",
        state=IN_REVIEW,
        body="""
## 问题现象

笔记本充满电后只能用一两个小时，或者电量显示跳变（比如从 40% 直接关机）。

## 原因

- 电池正常老化：锂电池经过约 500 次充放电循环后，容量会明显下降；
- 后台程序长时间占用 CPU，例如正在同步大量文件的 OneDrive、卡住的更新进程；
- 屏幕亮度过高，或外接设备（鼠标接收器、移动硬盘）耗电。

## 排查步骤

1. **查看电池健康度**：打开 PowerShell，执行：

   ```powershell
   powercfg /batteryreport /output "$env:USERPROFILE\\battery-report.html"
   ```

   打开生成的报告，对比 **DESIGN CAPACITY**（设计容量）和 **FULL CHARGE CAPACITY**（当前满电容量）。\
当前容量低于设计容量的 60%，说明电池需要更换。
2. **查看耗电程序**：**设置 › 系统 › 电源和电池 › 电池使用情况**，找出耗电最多的应用。
3. **开启节电模式**：**设置 › 系统 › 电源和电池 › 节电模式**，设置为电量低于 30% 时自动开启。
4. 长期插电使用的笔记本，可以在厂商的电源管理软件中开启 **电池保护模式**（充到 80% 即停止充电），延长电池寿命。

## 更换电池

电池健康度低于 60% 的，请提交事件单（分类：**Hardware › Laptop**），附上电池报告。保修期内的笔记本由厂商免费更换。

> 如果发现电池鼓包（触控板翘起、底壳变形），请立即停止使用、拔掉电源，并直接送到 2 楼服务台。
""",
    ),
    # -- 软件、文件与存储、基础设施 ---------------------------------------------------------------------------------
    DemoArticle(
        title="ERP 登录提示“用户已锁定”",
        summary="ERP 账号独立于电脑密码，连续输错 5 次或 90 天未登录会被锁定；在服务目录申请密码重置。",
        language=ZH,
        categories=("Software › ERP & finance",),
        tags=("ERP", "账号锁定", "密码"),
        owner="lee",
        services=("ERP",),
        feedback=(("gina", True, ""),),
        body="""
## 问题现象

登录 ERP 时提示 **用户已锁定** 或 **密码错误次数过多**，无法进入系统。

## 原因

ERP 使用独立的账号密码（与电脑开机密码不同）。连续输错 5 次密码后账号会被锁定；超过 90 天未登录的账号也会被自动锁定。

## 解决方法

1. **忘记密码或账号被锁**：在服务目录中申请 **Password reset**，账户类型选择 **ERP**。\
服务台核实身份后会重置密码并解锁，新密码通过短信发送。
2. **首次登录**：用短信中的初始密码登录，系统会要求立即修改密码。新密码至少 10 位，需包含大小写字母和数字，\
且不能与最近 5 次的密码相同。
3. **长期未使用被锁**：同样申请 **Password reset**，并在备注中说明情况；如需继续使用，请确认你的 ERP 权限仍然有效。

## 注意事项

- ERP 密码不会随电脑密码一起修改。
- 不要把密码保存在浏览器里，也不要告诉同事。月结期间的账号操作都会被审计。
- 如果提示 **没有权限执行该事务**，说明不是密码问题，而是缺少权限，请在服务目录申请 **ERP access**。
""",
    ),
    DemoArticle(
        title="ERP 报销单提交后审批人看不到",
        summary="查看报销单的审批流程，核对成本中心和审批代理人；汇报关系有误的请财务部更新。",
        language=ZH,
        categories=("Software › ERP & finance",),
        tags=("ERP", "报销", "审批"),
        owner="lin",
        state=SENT_BACK,
        review_comment="第 4 步：汇报关系是由 HR 系统同步到 ERP 的，不是财务部手工维护，请和 Business Applications "
        "组确认流程后再提交。另外建议补一张“审批流程”页面的截图。",
        services=("ERP",),
        body="""
## 问题现象

在 ERP 中提交费用报销单后，状态显示"审批中"，但直属领导在待办列表中看不到这张单据。

## 原因

常见原因有三种：

- 报销单的 **成本中心** 填错，单据被发给了其他成本中心的负责人；
- 审批人正在休假并设置了代理人，单据在代理人的待办中；
- 组织架构调整后，ERP 中的汇报关系尚未更新。

## 解决方法

1. 打开报销单，点击 **审批流程**，查看当前审批节点和审批人姓名。
2. 审批人不对、且成本中心填错的：点击 **撤回**，修改成本中心后重新提交。
3. 审批人正确但对方看不到的：请审批人检查待办列表的筛选条件（默认只显示最近 30 天），\
或在 **我的代理** 中查看是否设置了代理人。
4. 审批人已调岗或离职的：请联系财务部（`finance@example.com`）更新汇报关系，邮件中附上单据号。

## 仍无法解决

请在服务门户提交事件单（分类：**Software › ERP**），注明报销单号、提交时间并附上截图。\
超过 3 个工作日未审批的报销单，财务部会在月结前统一催办。
""",
    ),
    DemoArticle(
        title="ERP 月结期间会话锁表的处理",
        summary="在 erp-db01 上查出阻塞会话，区分月结批处理和普通用户会话，必要时终止并记录。",
        language=ZH,
        audience=INTERNAL,
        categories=("Software › ERP & finance", "Infrastructure › Servers"),
        tags=("ERP", "数据库", "锁", "月结", "运维手册"),
        owner="lee",
        services=("ERP", "erp-db01"),
        body="""
**仅限工程师。** 月结期间财务批量过账时，偶尔会有用户会话长时间持有锁，导致其他用户保存单据时一直转圈，\
或提示"记录已被锁定"。本文说明如何在数据库 `erp-db01` 上定位和处理。

## 1. 先确认现象

- 多名用户同时反映保存卡住，而不是个别用户的问题；
- ERP 监控中 "Lock waits" 指标明显升高。

## 2. 查找阻塞会话

在 `erp-db01` 上用运维只读账号执行：

```sql
SELECT blocked.pid               AS blocked_pid,
       blocked.usename           AS blocked_user,
       blocking.pid              AS blocking_pid,
       blocking.usename          AS blocking_user,
       blocking.state,
       now() - blocking.xact_start AS blocking_for,
       left(blocking.query, 80)  AS blocking_query
FROM pg_stat_activity blocked
JOIN pg_stat_activity blocking ON blocking.pid = ANY (pg_blocking_pids(blocked.pid))
ORDER BY blocking_for DESC;
```

## 3. 判断能否终止

- `blocking_user` 是月结批处理账号（`erp_batch`）：**不要终止**，联系财务确认批处理进度，等待其完成。
- 普通用户会话、状态为 `idle in transaction` 且超过 10 分钟：通常是用户打开单据后离开，或客户端异常退出，可以终止。
- 拿不准时，先打电话联系该用户。

## 4. 终止会话

```sql
SELECT pg_terminate_backend(12345);  -- 替换为查到的 blocking_pid
```

终止后该用户未保存的修改会丢失，请提前告知用户。

## 5. 记录

在工单的工作备注中记录会话 PID、用户、持续时间和处理结果。同一次月结中同类问题出现三次以上的，\
转 **Business Applications** 组检查相关程序。
""",
    ),
    DemoArticle(
        title="Office 提示“产品未激活”或“帐户错误”",
        summary="在“文件 › 帐户”中注销后用公司邮箱重新登录；仍报错时修复工作帐户或快速修复 Office。",
        language=ZH,
        categories=("Software › Office",),
        tags=("Office", "激活", "Microsoft 365"),
        owner="lin",
        services=("Microsoft 365",),
        body="""
## 问题现象

打开 Word、Excel 时，顶部出现红色提示条 **产品未激活** 或 **帐户错误**，文档只能查看不能编辑。

## 原因

公司的 Microsoft 365 授权与个人的公司帐户绑定。以下情况会让 Office 认为授权无效：

- 修改密码或重置 MFA 后，Office 仍在使用旧的登录信息；
- Office 中登录的是个人 Microsoft 帐户（如 @outlook.com、@hotmail.com）；
- 超过 30 天没有连接互联网，授权未能续期。

## 解决方法

1. 打开任意一个 Office 程序，点击 **文件 › 帐户**，查看 **用户信息** 中登录的帐户：
   - 是个人帐户的：点击 **注销**，再用公司邮箱登录；
   - 是公司帐户的：点击 **注销**，关闭所有 Office 程序后重新打开并登录。
2. 登录时在 Authenticator 中批准，**产品信息** 处显示 **Microsoft 365 企业应用版** 即激活成功。
3. 仍然报错的，打开 **设置 › 帐户 › 访问工作单位或学校**，如果公司帐户显示警告，点击该帐户选择 **修复**。
4. 关闭所有 Office 程序，在 **设置 › 应用 › 已安装的应用 › Microsoft 365** 中选择 **修改 › 快速修复**。

## 提交工单

仍无法激活的，请提交事件单（分类：**Software › Office**），附上错误提示和 **文件 › 帐户** 页面的截图。
""",
    ),
    DemoArticle(
        title="映射网络驱动器（访问部门共享盘）",
        summary="把 fs01 上的共享盘映射为盘符，或在 macOS 访达中连接服务器。",
        language=ZH,
        categories=("Files & storage › File shares",),
        tags=("共享盘", "fs01", "网络驱动器"),
        owner="lin",
        services=("fs01",),
        body="""
部门共享盘位于文件服务器 `fs01` 上。映射后，共享盘会以盘符的形式出现在"此电脑"中，例如部门共享盘统一使用 `S:`。

## Windows

1. 打开 **文件资源管理器**，右键点击 **此电脑**，选择 **映射网络驱动器**。
2. 驱动器：选择一个未使用的盘符（公司约定部门共享盘用 `S:`，项目盘用 `P:`）。
3. 文件夹：输入共享路径，例如 `\\\\fs01\\finance`。
4. 勾选 **登录时重新连接**，不要勾选"使用其他凭据连接"。
5. 点击 **完成**，共享盘会自动打开。

也可以在命令提示符中执行：

```bat
net use S: \\\\fs01\\finance /persistent:yes
```

## macOS

1. 在访达中选择 **前往 › 连接服务器**（**Command + K**）。
2. 输入 `smb://fs01.example.com/finance`，点击 **连接**。
3. 输入域账号和密码，勾选 **在我的钥匙串中记住此密码**。

## 提示"拒绝访问"

说明你还没有该共享的权限，请参见《申请共享文件夹访问权限》。权限开通后需要注销并重新登录（或重启电脑）才会生效。

## 盘符上显示红叉

通常是在公司外没有连接 VPN，或者开机时网络还没有就绪。连接 VPN 后双击该盘符即可恢复。
""",
    ),
    DemoArticle(
        title="OneDrive 同步出现红叉或一直“正在处理更改”",
        summary="查看同步问题列表，处理非法文件名、过长路径和被占用的文件；必要时重置 OneDrive。",
        language=ZH,
        categories=("Files & storage › OneDrive",),
        tags=("OneDrive", "同步", "Microsoft 365"),
        owner="lin",
        services=("Microsoft 365",),
        body="""
## 问题现象

任务栏 OneDrive 云朵图标上出现红叉或暂停符号，或者一直显示"正在处理更改"，文件没有同步到云端。

## 常见原因

- 文件名包含不允许的字符（如 `" * : < > ? / \\ |`），或者路径过长（超过 400 个字符）；
- 文件正被其他程序打开（例如正在用 Excel 编辑）；
- 单个文件超过 250 GB，或者 OneDrive 空间已满（公司帐户为 1 TB）；
- 修改密码后 OneDrive 需要重新登录。

## 解决方法

1. 点击任务栏上的 OneDrive 图标，查看顶部的错误提示；点击 **查看同步问题**，可以看到具体是哪个文件。
2. 按提示处理对应文件：重命名、减少文件夹层级，或者关闭正在编辑该文件的程序。
3. 提示需要登录的，点击 **登录** 并完成 MFA 验证。
4. 点击 **帮助和设置（齿轮）› 暂停同步**，再选择 **恢复同步**。
5. 以上都无效时，重置 OneDrive（不会删除文件，只会重新比对）：按 **Windows + R**，输入以下命令并回车：

   ```bat
   %localappdata%\\Microsoft\\OneDrive\\onedrive.exe /reset
   ```

   几分钟后 OneDrive 会自动重新启动；没有启动的，从开始菜单手动打开。

## 注意事项

- 重要文件请保存在 OneDrive 或共享盘，不要只放在本机桌面上。
- 一次同步大量文件（例如上万个）会持续数小时，期间请保持联网。

仍无法同步的，请提交事件单（分类：**Software › Office**），附上 OneDrive 错误提示的截图。
""",
    ),
    DemoArticle(
        title="Linux 服务器磁盘空间不足的排查步骤",
        summary="用 df、du、lsof 找出占用空间的目录和已删除未释放的文件，按规范清理并记录。",
        language=ZH,
        audience=INTERNAL,
        categories=("Infrastructure › Servers",),
        tags=("Linux", "磁盘空间", "服务器", "运维手册"),
        owner="lee",
        body="""
**仅限工程师。** 监控告警"磁盘使用率超过 90%"时，按以下步骤排查。处理前先确认是哪台服务器、哪个挂载点。

## 1. 查看使用情况

```bash
df -hT
df -i    # inode 用尽时同样会报 "No space left on device"
```

## 2. 找出占用空间的目录

```bash
sudo du -xh --max-depth=1 /var | sort -rh | head -15
sudo find / -xdev -type f -size +1G -exec ls -lh {} \\; 2>/dev/null
```

常见原因：

| 位置 | 原因 | 处理 |
|---|---|---|
| `/var/log` | 日志没有轮转，或应用开着调试日志 | 检查 `/etc/logrotate.d/`，压缩或清理旧日志 |
| `/var/lib/docker` | 旧镜像、已停止的容器 | `docker system prune`（先确认没有需要保留的） |
| `/tmp`、应用目录 | 导出文件、临时文件 | 与应用负责人确认后删除 |
| `/var/lib/postgresql` | 数据增长或 WAL 堆积 | 转 **Server & Storage** 组，不要手动删除 |

## 3. 已删除但仍占用空间的文件

进程仍打开着的文件被删除后，空间不会释放：

```bash
sudo lsof +L1 | sort -k7 -rn | head
```

重启对应的服务即可释放空间（需评估影响，业务服务要走变更流程）。

## 4. 正确清理日志

不要直接 `rm` 正在写入的日志，应清空其内容：

```bash
sudo truncate -s 0 /var/log/app/app.log
sudo journalctl --vacuum-time=14d
```

## 5. 记录与跟进

在工单中记录清理前后的使用率和清理内容。同一台服务器一个月内重复告警的，提交问题单，评估扩容或调整日志策略。
""",
    ),
]


def seed_knowledge(people: dict) -> None:
    """The demo knowledge base; `people` by username (PEOPLE included). Does nothing once any article exists."""
    if Article.objects.exists():
        return
    with transaction.atomic():
        categories = _categories()
        names = {name for spec in ARTICLES for name in spec.services}
        cis = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=names)}
        titles = {title for a in ARTICLES for title, _solved in a.tickets} | {a.from_ticket for a in ARTICLES}
        tickets = {ticket.title: ticket for ticket in Ticket.objects.filter(title__in=titles).order_by("-pk")}
        for number, spec in enumerate(ARTICLES):
            _article(spec, number, people, categories, cis, tickets)


def _categories() -> dict[str, Category]:
    """The shelves by path ("Network" and "Network › VPN"); existing ones are reused."""
    made = {}
    for position, (name, children) in enumerate(CATEGORIES.items()):
        parent, _created = Category.objects.get_or_create(parent=None, name=name, defaults={"position": position})
        made[name] = parent
        for child_position, child in enumerate(children):
            made[f"{name} › {child}"], _created = Category.objects.get_or_create(
                parent=parent, name=child, defaults={"position": child_position}
            )
    return made


def _article(spec: DemoArticle, number: int, people: dict, categories: dict, cis: dict, tickets: dict) -> None:
    """Write the article as its owner and take it through its story; the editor reviews and publishes."""
    owner, editor = people[spec.owner], people[EDITOR]
    source = tickets.get(spec.from_ticket)
    article = kb.create_article(
        author=owner,
        title=spec.title,
        body=spec.body.strip(),
        summary=spec.summary,
        audience=spec.audience,
        language=spec.language,
        categories=[categories[path] for path in spec.categories],
        tags=spec.tags,
        services=[cis[name] for name in spec.services if name in cis],
        # Review dates spread over the coming year, so that the reminders do not all fall due on one day.
        review_by=timezone.localdate() + timedelta(days=120 + (number * 37) % 240),
        source_ticket=source if source is not None and source.resolved_at else None,
    )
    if spec.state == DRAFT:
        return
    _review(article, owner, editor)
    if spec.state == SENT_BACK:
        kb.send_back(article=article, actor=editor, text=spec.review_comment)
        return
    if spec.state == IN_REVIEW:
        if spec.review_comment:
            kb.comment_on_review(article=article, actor=editor, text=spec.review_comment)
        return
    kb.publish_article(article=article, actor=editor)
    if spec.revision:
        kb.start_revision(article=article, actor=owner)
        kb.update_article(article=article, actor=owner, body=_revised(spec.body.strip(), spec.revision))
        _review(article, owner, editor)
        kb.publish_article(article=article, actor=editor, change_note=spec.revision.note)
    for username, helpful, comment in spec.feedback:
        kb.give_feedback(article=article, user=people[username], helpful=helpful, comment=comment)
    for title, solved in spec.tickets:
        if title in tickets:
            kb.link_to_ticket(article=article, ticket=tickets[title], actor=owner, solved=solved)
    if spec.state == RETIRED:
        kb.retire_article(article=article, actor=editor, reason=spec.retire_reason)
    elif spec.state == OVERDUE:
        # The services refuse a review date in the past (rightly); the demo pretends a year went by since.
        Article.objects.filter(pk=article.pk).update(review_by=timezone.localdate() - timedelta(days=21))


def _review(article: Article, owner, editor) -> None:
    """Submit for review; an editor's own article is not submitted (nobody reviews their own): she publishes it."""
    if owner != editor:
        kb.submit_for_review(article=article, actor=owner)


def _revised(body: str, revision: Revision) -> str:
    for old, new in revision.changes:
        if body.count(old) != 1:
            raise ValueError(f"The revision's text to replace is not in the article exactly once: {old!r}")
        body = body.replace(old, new)
    return body
