"""Knowledge search at scale: `search()` and `suggest()` over N articles (default 100,000), timed in-process.

Usage: python -m bench.knowledge_search [--articles N] [--samples 30]
       (DATABASE_URL as for the portal; the database must be migrated. `make bench` runs this too, with
       BENCH_ARTICLES as the scale)

Seeding (only when the database holds fewer articles than asked, and only the missing ones): English and Chinese
help-desk articles written from word lists, by topic (printers, VPN, mail …: a topic's words are in about 1/40 of
the articles, generic words in most, product names and error codes in few), 60 % English and 40 % Chinese (which
quote English product names), about 10 % internal, 3 % retired and 3 % never published, each in one of 40
categories (two levels) with up to 3 of 60 tags. Bulk: COPY into a staging table, then one INSERT … SELECT per
batch that computes the search vector in SQL from the segmented text; Chinese sentences are segmented once each
(the bodies are drawn from a pool of sentences), titles and summaries one by one. Then VACUUM ANALYZE.

Timing: after a warm-up (jieba's dictionary, the plans, the cache), each English and Chinese query is searched
in turn (typos and a whole Chinese sentence among them) and each issue text suggested as it grows (title, then
sentence by sentence), at least `--samples` calls each; p50/p95/max in milliseconds. The plans (EXPLAIN ANALYZE,
BUFFERS) of a few calls are printed as the lines that show which index is read, and written in full to
var/bench/explain/kb_*.txt.
It writes to the database it runs against (articles, versions, a user, categories, tags): use a bench database.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import math
import os
import random
import re
import statistics
import time
from datetime import UTC, date, datetime, timedelta

DEFAULT_ARTICLES = 100_000
MIN_SAMPLES = 30
WARMUPS = 3
BATCH = 10_000
BENCH_USER = "kb-bench"

# (English name, Chinese name, English words of the topic, Chinese words of the topic, products)
# Topics: "English name / Chinese name", then its English words, its Chinese words, its products.
_TOPICS = """
printer / 打印机
    paper jam; toner; print queue; tray; duplex
    卡纸; 墨粉; 打印队列; 纸盒; 双面打印
    HP LaserJet M404; Canon iR-ADV C5535; Ricoh MP C3004
VPN / VPN
    tunnel; certificate; split tunnelling; gateway; token
    隧道; 证书; 网关; 令牌; 远程访问
    Cisco AnyConnect; GlobalProtect; FortiClient
password / 密码
    expired password; lockout; self-service reset; MFA; authenticator
    密码过期; 账号锁定; 自助重置; 多因素认证; 验证码
    Active Directory; Okta; Azure AD
mailbox / 邮箱
    mailbox quota; shared mailbox; calendar invite; attachment; spam filter
    邮箱容量; 共享邮箱; 会议邀请; 附件; 垃圾邮件
    Outlook; Exchange Online; Foxmail
Wi-Fi / 无线网络
    access point; SSID; roaming; signal strength; captive portal
    无线热点; 信号强度; 漫游; 认证页面; 访客网络
    Cisco Meraki; Aruba AP-515; Huawei AirEngine
laptop / 笔记本电脑
    battery; docking station; BIOS; fan noise; hibernation
    电池; 扩展坞; 风扇噪音; 休眠; 开机
    ThinkPad T14; Dell Latitude 7440; MacBook Pro
monitor / 显示器
    second screen; resolution; HDMI cable; flicker; refresh rate
    扩展屏幕; 分辨率; HDMI线; 闪烁; 刷新率
    Dell P2422H; LG 27UL500; AOC 24G2
Teams / Teams
    meeting; microphone; screen sharing; chat history; channel
    会议; 麦克风; 屏幕共享; 聊天记录; 频道
    Microsoft Teams; Teams Rooms; Jabra Speak 510
DingTalk / 钉钉
    approval flow; attendance; group chat; video call; notification
    审批流程; 考勤打卡; 群聊; 视频会议; 消息通知
    DingTalk; 钉钉考勤机; DingTalk Rooms
Excel / Excel
    macro; pivot table; formula; read-only file; add-in
    宏; 数据透视表; 公式; 只读文件; 加载项
    Microsoft Excel; WPS表格; Power Query
SAP / SAP
    purchase order; transaction code; authorization; invoice; cost centre
    采购订单; 事务代码; 权限; 发票; 成本中心
    SAP GUI 7.70; SAP Fiori; S/4HANA
file share / 共享文件夹
    network drive; access denied; permissions; mapped drive; quota
    网络驱动器; 拒绝访问; 文件权限; 映射驱动器; 磁盘配额
    DFS; NetApp; Synology NAS
phone / 手机
    mobile device; enrolment; email sync; company portal; lost device
    移动设备; 设备注册; 邮件同步; 公司门户; 设备丢失
    Intune; iPhone 15; Huawei Mate 60
desk phone / 座机
    voicemail; extension; call forwarding; headset; dial tone
    语音信箱; 分机号; 呼叫转移; 耳机; 拨号音
    Cisco IP Phone 8845; Yealink T54W; Avaya J179
browser / 浏览器
    cache; cookies; certificate warning; pop-up blocker; extension
    缓存; Cookie; 证书警告; 弹窗拦截; 浏览器插件
    Chrome; Edge; Firefox
Windows update / 系统更新
    pending restart; update error; feature update; rollback; patch
    待重启; 更新失败; 功能更新; 回滚; 补丁
    Windows 11 23H2; WSUS; Windows 10 22H2
antivirus / 杀毒软件
    quarantine; false positive; scan; real-time protection; exclusion
    隔离区; 误报; 病毒扫描; 实时防护; 排除项
    Defender for Endpoint; Symantec Endpoint; 火绒安全
scanner / 扫描仪
    scan to folder; OCR; document feeder; resolution; PDF
    扫描到文件夹; 文字识别; 自动进纸器; 扫描分辨率; PDF文件
    Fujitsu fi-7160; Epson DS-530; Brother ADS-2700W
badge / 门禁卡
    badge reader; access card; visitor pass; door; turnstile
    读卡器; 门禁; 访客证; 闸机; 工牌
    HID iCLASS; Lenel OnGuard; ZKTeco
software install / 软件安装
    installation; licence; software center; admin rights; uninstall
    安装包; 许可证; 软件中心; 管理员权限; 卸载
    Software Center; Company Portal; Chocolatey
database / 数据库
    connection pool; deadlock; backup; replication lag; slow query
    连接池; 死锁; 数据库备份; 主从延迟; 慢查询
    PostgreSQL 15; Oracle 19c; SQL Server 2019
server / 服务器
    disk space; CPU load; reboot; memory leak; service account
    磁盘空间; CPU负载; 服务器重启; 内存泄漏; 服务账号
    Windows Server 2022; RHEL 9; VMware ESXi
backup / 备份
    restore; snapshot; retention; backup job; tape
    数据恢复; 快照; 保留策略; 备份任务; 磁带
    Veeam; Commvault; Acronis
firewall / 防火墙
    firewall rule; port; NAT; blocked site; proxy
    防火墙规则; 端口; 地址转换; 网站被拦截; 代理服务器
    Palo Alto PA-3220; FortiGate 100F; Check Point
DNS / 域名解析
    DNS record; name resolution; TTL; flush DNS; hosts file
    域名记录; 解析失败; 缓存刷新; hosts文件; 内网域名
    Infoblox; Windows DNS; BIND
keyboard / 键盘
    keyboard layout; sticky keys; wireless receiver; mouse; input method
    键盘布局; 粘滞键; 无线接收器; 鼠标; 输入法
    Logitech MX Keys; Microsoft Sculpt; 搜狗输入法
OneDrive / 网盘
    sync; sync conflict; shared link; storage; version history
    同步; 同步冲突; 分享链接; 存储空间; 历史版本
    OneDrive; SharePoint; 百度网盘
expense / 报销
    expense claim; receipt; approval; travel booking; per diem
    报销单; 发票; 审批; 差旅预订; 出差补贴
    Concur; Ariba; 费控系统
HR portal / 人事系统
    leave request; payslip; onboarding; org chart; timesheet
    请假申请; 工资条; 入职; 组织架构; 工时表
    Workday; SuccessFactors; 北森
camera / 摄像头
    webcam; privacy shutter; video driver; blurry image; camera permission
    网络摄像头; 隐私挡板; 视频驱动; 画面模糊; 摄像头权限
    Logitech C920; Poly Studio; Jabra PanaCast
audio / 音频
    speaker; sound driver; echo; Bluetooth headset; volume
    扬声器; 声卡驱动; 回声; 蓝牙耳机; 音量
    Jabra Evolve2 65; Poly Voyager; Realtek Audio
Citrix / 云桌面
    virtual desktop; session; receiver; published app; latency
    虚拟桌面; 会话; 客户端; 发布应用; 延迟
    Citrix Workspace; VMware Horizon; Azure Virtual Desktop
Jira / Jira
    project board; workflow; permission scheme; sprint; dashboard
    项目看板; 工作流; 权限方案; 迭代; 仪表盘
    Jira Software; Confluence; Bitbucket
Git / 代码仓库
    repository; merge request; SSH key; pipeline; branch protection
    仓库; 合并请求; SSH密钥; 流水线; 分支保护
    GitLab; GitHub Enterprise; Gitee
encryption / 加密
    BitLocker; recovery key; TPM; encrypted USB; PIN
    磁盘加密; 恢复密钥; 安全芯片; 加密U盘; 开机PIN
    BitLocker; FileVault; VeraCrypt
meeting room / 会议室
    room booking; projector; room display; video bar; wireless presentation
    会议室预订; 投影仪; 门口屏; 视频条; 无线投屏
    Barco ClickShare; Zoom Rooms; 腾讯会议
CRM / 客户管理
    lead; opportunity; report; data import; duplicate record
    销售线索; 商机; 报表; 数据导入; 重复记录
    Salesforce; Dynamics 365; 纷享销客
payroll / 薪资
    salary; tax; bank account; bonus; payroll cut-off
    工资; 个税; 银行账户; 奖金; 发薪截止
    ADP; SAP Payroll; 金蝶
USB / U盘
    USB stick; removable storage; device control; USB-C adapter; external drive
    移动硬盘; 可移动存储; 设备管控; 转接头; 外接硬盘
    SanDisk Ultra; Kingston DataTraveler; Seagate Expansion
account / 账号
    new account; account disabled; group membership; display name; leaver
    新账号; 账号停用; 用户组; 显示名称; 离职
    Active Directory; Entra ID; LDAP
"""
TOPICS = [
    (names.split(" / ")[0], names.split(" / ")[1], *(line.strip().split("; ") for line in rest))
    for names, *rest in (block.splitlines() for block in re.split(r"\n(?=\S)", _TOPICS.strip()))
]

# Word lists, one per name ("name: a; b; c"), continued on indented lines.
_WORDS = """
en_symptoms: does not work; is very slow; keeps disconnecting; shows an error; cannot be found; stops responding;
    fails after the update; asks for the password again; is not detected; crashes on start
zh_symptoms: 无法使用; 速度很慢; 经常断开; 提示错误; 找不到; 没有响应; 更新后失败; 反复要求输入密码; 无法识别;
    启动时崩溃
en_actions: restart; reinstall; update; reset; check; reconnect; remove; replace; enable; disable; clear;
    sign out of
zh_actions: 重启; 重新安装; 更新; 重置; 检查; 重新连接; 删除; 更换; 启用; 禁用; 清除; 退出
en_places: Settings; the Control Panel; the admin console; Software Center; the self-service portal;
    the system tray; Device Manager
zh_places: 设置; 控制面板; 管理后台; 软件中心; 自助服务门户; 系统托盘; 设备管理器
en_events: the last Windows update; a password change; moving desks; the weekend maintenance; a network outage;
    the office move; the new policy
zh_events: 上次系统更新; 修改密码; 更换工位; 周末维护; 网络中断; 办公室搬迁; 新策略下发
en_generic: Most users can fix this themselves in a few minutes.;
    If the problem persists, contact the Service Desk and quote the article number.;
    Save your work before you start.; This affects only devices managed by the company.;
    You need to be connected to the company network.; Administrator rights are not required for these steps.;
    Please do not share your password with anyone, including the Service Desk.;
    The change takes effect after the next sign-in.; Screenshots of the error message help the engineers.;
    Check the status page for known outages first.
zh_generic: 大多数用户可以在几分钟内自行解决。; 如果问题仍然存在，请联系服务台并提供文章编号。;
    开始之前请先保存您的工作。; 此问题只影响公司统一管理的设备。; 您需要先连接到公司内网。;
    执行这些步骤不需要管理员权限。; 请不要向任何人透露您的密码，包括服务台人员。; 更改会在下次登录后生效。;
    提供错误信息的截图有助于工程师处理。; 请先查看状态页面，确认是否有已知故障。
tags: how-to; known error; workaround; windows; macos; mobile; network; security; onboarding; remote work;
    hardware; software; email; collaboration; finance; hr; printing; accounts; self-service; vip; outage; policy;
    training; china; emea; americas; apac; faq; escalation; l2; licence; video; audio; storage; backup; database;
    server; cloud; browser; identity; access; performance; update; installation; configuration; monitoring;
    meeting; telephony; encryption; compliance; sap; crm; jira; git; citrix; vpn; wifi; printer; laptop; phone
sites: the Shanghai office / 上海办公室; the Beijing office / 北京办公室; HQ / 总部; the warehouse / 仓库;
    Building A / A座; the Shenzhen plant / 深圳工厂
"""
_LISTS = {
    name: [item.strip() for item in items.replace("\n", " ").split("; ")]
    for name, items in re.findall(r"^(\w+): (.*?)(?=\n\w+: |\Z)", _WORDS.strip(), flags=re.S | re.M)
}
EN_SYMPTOMS, ZH_SYMPTOMS = _LISTS["en_symptoms"], _LISTS["zh_symptoms"]
EN_ACTIONS, ZH_ACTIONS = _LISTS["en_actions"], _LISTS["zh_actions"]
EN_PLACES, ZH_PLACES = _LISTS["en_places"], _LISTS["zh_places"]
EN_EVENTS, ZH_EVENTS = _LISTS["en_events"], _LISTS["zh_events"]
EN_GENERIC, ZH_GENERIC = _LISTS["en_generic"], _LISTS["zh_generic"]
TAGS = _LISTS["tags"]
SITES = [tuple(pair.split(" / ")) for pair in _LISTS["sites"]]
CATEGORY_TREE = {
    "Network": ["VPN", "Wi-Fi", "Firewall", "DNS"],
    "Hardware": ["Printers", "Laptops", "Monitors", "Peripherals", "Phones"],
    "Collaboration": ["Email", "Meetings", "Chat", "File sharing"],
    "Accounts & access": ["Passwords", "Badges", "Permissions"],
    "Business apps": ["SAP", "CRM", "Expenses", "HR & payroll"],
    "Security": ["Antivirus", "Encryption", "Phishing"],
    "Infrastructure": ["Servers", "Databases", "Backup", "Virtual desktops"],
    "Software": ["Installation", "Updates", "Browsers", "Developer tools"],
}

ZH_SENTENCE = "我的笔记本电脑今天早上开机以后扩展坞上的显示器一直闪烁怎么办"
SEARCH_QUERIES = [
    ("en", "printer paper jam"),
    ("en", "vpn keeps disconnecting"),
    ("en", "reset expired password"),
    ("en", "outlook shared mailbox"),
    ("en", "teams microphone"),
    ("en", "laptop battery"),
    ("en", "excel macro"),
    ("en", "pritner"),  # a typo: the title trigram match
    ("en", "Cisco AnyConnect certificate"),
    ("en", "how do I map a network drive when access is denied"),
    ("en", "error"),  # in half the articles: ranking is capped (MAX_RANKED)
    ("en", "outlok calender"),  # typos
    ("zh", "打印机卡纸"),
    ("zh", "VPN 连接失败"),
    ("zh", "密码过期"),
    ("zh", "邮箱容量"),
    ("zh", "会议室预订"),
    ("zh", "钉钉考勤打卡"),
    ("zh", ZH_SENTENCE),  # a whole sentence: the fallback
    ("zh", "无线网络速度很慢"),
    ("zh", "数据库死锁"),
    ("zh", "报销单审批"),
    ("zh", "错误"),  # in most Chinese articles
]
ISSUES = [
    "Printer on floor 3 jams\nSince this morning every print job on the HP LaserJet M404 stops with a paper jam. "
    "I already opened tray 2 and removed the paper. The printer still shows the error.",
    "VPN disconnects every few minutes\nWhen I work from home Cisco AnyConnect drops the tunnel after about five "
    "minutes. It started after the last Windows update. I need the VPN for SAP.",
    "Cannot open shared mailbox\nOutlook says I do not have permission to open the finance shared mailbox. "
    "My colleague can open it. I changed my password yesterday.",
    "Teams meeting no sound\nIn Teams meetings nobody can hear me. The microphone of my Jabra headset works in "
    "other apps. I tried to restart the laptop.",
    "Excel macro blocked\nExcel blocks the macros in our budget workbook since Monday. The file comes from the "
    "file share. It says the macros are disabled by the administrator.",
    "Laptop battery drains fast\nMy ThinkPad battery goes from full to empty in two hours, even when I only use "
    "the browser. The fan is loud as well.",
    "打印机卡纸\n三楼的打印机从今天早上开始一直卡纸，我已经打开纸盒把纸取出来了，但是打印机还是提示错误，无法打印。",
    "VPN连接经常断开\n在家办公的时候VPN每隔几分钟就断开一次，系统更新以后开始出现这个问题，我需要用VPN访问SAP。",
    "邮箱无法打开共享邮箱\nOutlook提示我没有权限打开财务部的共享邮箱，同事可以正常打开，我昨天刚修改了密码。",
    "会议室投影仪没有信号\n二楼大会议室的投影仪连接笔记本电脑以后一直显示没有信号，换了HDMI线也不行。",
    "钉钉考勤打卡失败\n今天早上用钉钉考勤打卡一直提示不在考勤范围内，但是我人已经在办公室了。",
    "无线网络速度很慢\n最近一周公司的无线网络速度很慢，视频会议经常卡顿，有线网络是正常的。",
]


# --- seeding -----------------------------------------------------------------------------------------------


@functools.cache
def _segmented(sentence: str) -> tuple[str, str]:
    """(search words, headline text) of one sentence, computed once: bodies repeat the pool's sentences."""
    from knowledge.search import segment, space_cjk

    return segment(sentence), space_cjk(sentence)


def _sentences(rng: random.Random, topic: tuple, zh: bool) -> list[str]:
    """A pool of sentences about one topic."""
    name_en, name_zh, words_en, words_zh, products = topic
    pool = []
    for _ in range(120):
        product = rng.choice(products)
        code = f"0x{rng.randrange(0x80070000, 0x8007FFFF):08X}" if rng.random() < 0.3 else f"{rng.randrange(100, 999)}"
        site_en, site_zh = rng.choice(SITES)
        if zh:
            word, action = rng.choice(words_zh), rng.choice(ZH_ACTIONS)
            pool += [
                f"如果{name_zh}{rng.choice(ZH_SYMPTOMS)}，请{action}{word}后重试。",
                f"请在{rng.choice(ZH_PLACES)}中{action}{product}的{word}。",
                f"{site_zh}的用户反馈{name_zh}在{rng.choice(ZH_EVENTS)}后{rng.choice(ZH_SYMPTOMS)}。",
                f"出现错误{code}时，说明{product}无法{rng.choice(ZH_ACTIONS)}{word}。",
                f"此问题通常是因为{word}配置不正确导致的，{rng.choice(ZH_ACTIONS)}{name_zh}即可。",
            ]
        else:
            word, action = rng.choice(words_en), rng.choice(EN_ACTIONS)
            pool += [
                f"If the {name_en} {rng.choice(EN_SYMPTOMS)}, {action} the {word} and try again.",
                f"Open {rng.choice(EN_PLACES)} and {action} the {word} of {product}.",
                f"Users at {site_en} report that the {name_en} {rng.choice(EN_SYMPTOMS)} after "
                f"{rng.choice(EN_EVENTS)}.",
                f"Error {code} means that {product} could not {rng.choice(EN_ACTIONS)} the {word}.",
                f"This usually happens when the {word} is misconfigured; {action} the {name_en} to fix it.",
            ]
    return pool


def _title(rng: random.Random, topic: tuple, zh: bool) -> tuple[str, str]:
    name_en, name_zh, words_en, words_zh, products = topic
    product = rng.choice(products)
    if zh:
        word = rng.choice(words_zh)
        title = rng.choice(
            [
                f"{name_zh}{rng.choice(ZH_SYMPTOMS)}怎么办",
                f"如何{rng.choice(ZH_ACTIONS)}{product}的{word}",
                f"{product}{word}{rng.choice(ZH_SYMPTOMS)}",
                f"{name_zh}：{word}常见问题",
            ]
        )
        summary = f"{name_zh}{word}相关问题的处理方法（{product}）。"
    else:
        word = rng.choice(words_en)
        title = rng.choice(
            [
                f"{name_en.capitalize()} {rng.choice(EN_SYMPTOMS)}",
                f"How to {rng.choice(EN_ACTIONS)} the {word} of {product}",
                f"{product}: {word} {rng.choice(EN_SYMPTOMS)}",
                f"{name_en.capitalize()} {word}: frequently asked questions",
            ]
        )
        summary = f"What to do when the {word} of the {name_en} ({product}) {rng.choice(EN_SYMPTOMS)}."
    return title, summary


def _article(rng: random.Random, pools: dict, zh: bool) -> dict:
    """One article: its Markdown body, and the plain text (lines) the index reads from it."""
    topic_index = rng.randrange(len(TOPICS))
    topic = TOPICS[topic_index]
    pool, generic = pools[(topic_index, zh)], ZH_GENERIC if zh else EN_GENERIC
    joiner = "" if zh else " "

    def sentences(count: int) -> list[str]:
        return [rng.choice(pool) if rng.random() < 0.75 else rng.choice(generic) for _ in range(count)]

    first, steps, last = sentences(rng.randint(2, 4)), sentences(rng.randint(3, 5)), sentences(rng.randint(1, 3))
    heading = "操作步骤：" if zh else "Steps:"
    body = (
        joiner.join(first)
        + f"\n\n{heading}\n\n"
        + "".join(f"{n}. {s}\n" for n, s in enumerate(steps, 1))
        + "\n"
        + joiner.join(last)
    )
    # markdown_to_text(body): the paragraphs and the list items, one a line
    lines = [first, [heading], *([s] for s in steps), last]
    title, summary = _title(rng, topic, zh)
    return {"topic": topic_index, "title": title, "summary": summary, "body": body, "lines": lines}


def _indexed(article: dict) -> dict:
    """The search columns, as knowledge.search.document() makes them (each sentence segmented once)."""
    from knowledge.search import segment, space_cjk

    lines = article["lines"]
    return {
        "title_words": segment(article["title"]),
        "summary_words": segment(article["summary"]),
        "body_words": "\n".join(" ".join(_segmented(s)[0] for s in line) for line in lines),
        "text": "\n".join(
            [space_cjk(article["title"]), space_cjk(article["summary"])]
            + [" ".join(_segmented(s)[1] for s in line) for line in lines]
        ),
    }


def _categories() -> list[int]:
    """The bench's 40 categories (two levels); returns the ids of the leaves."""
    from knowledge.models import Category

    leaves = []
    for position, (top, children) in enumerate(CATEGORY_TREE.items()):
        parent = Category.objects.get_or_create(name=top, parent=None, defaults={"position": position})[0]
        for child in children:
            leaves.append(Category.objects.get_or_create(name=child, parent=parent)[0].pk)
    return leaves


def _copy(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)


def _reserve(cursor, table: str, count: int) -> list[int]:
    sql = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)"  # noqa: S608
    cursor.execute(sql, [count])
    return [row[0] for row in cursor.fetchall()]


STAGING_COLUMNS = [
    "id",
    "state",
    "audience",
    "language",
    "title",
    "summary",
    "body",
    "is_live",
    "review_by",
    "owner_id",
    "published_version_id",
    "search_title",
    "search_text",
    "title_words",
    "summary_words",
    "body_words",
]


def seed(count: int, *, seed_value: int = 6) -> float:
    """Add `count` articles in bulk; returns the seconds it took."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from knowledge.models import Tag
    from knowledge.search import CONFIG

    started = time.monotonic()
    rng = random.Random(seed_value + count)
    user = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"first_name": "KB bench"})[0]
    leaves = _categories()
    tags = [Tag.objects.get_or_create(name=name)[0].pk for name in TAGS]
    # Topic → its leaf category (roughly where a librarian would shelve it).
    topic_category = {i: leaves[i % len(leaves)] for i in range(len(TOPICS))}
    pools = {(i, zh): _sentences(rng, topic, zh) for i, topic in enumerate(TOPICS) for zh in (False, True)}
    today = date.today()
    now = datetime.now(UTC).isoformat()
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg2's, for COPY
            article_ids = _reserve(cursor, "knowledge_article", size)
            version_ids = _reserve(cursor, "knowledge_articleversion", size)
            staging, versions, categories, article_tags = [], [], [], []
            for pk, version_pk in zip(article_ids, version_ids, strict=True):
                zh = rng.random() < 0.4
                article = _article(rng, pools, zh)
                roll = rng.random()
                state, live, published = (
                    ("retired", False, True)
                    if roll < 0.03
                    else ("draft", False, False)
                    if roll < 0.06
                    else ("published", True, True)
                )
                indexed = _indexed(article) if live else None
                staging.append(
                    (
                        pk,
                        state,
                        "internal" if rng.random() < 0.1 else "public",
                        "zh-hans" if zh else "en",
                        article["title"],
                        article["summary"],
                        article["body"],
                        live,
                        today + timedelta(days=rng.randint(-30, 365)),
                        user.pk,
                        version_pk if published else None,
                        article["title"] if live else "",
                        indexed["text"] if live else "",
                        indexed["title_words"] if live else "",
                        indexed["summary_words"] if live else "",
                        indexed["body_words"] if live else "",
                    )
                )
                if published:
                    versions.append(
                        (
                            version_pk,
                            1,
                            article["title"],
                            article["summary"],
                            article["body"],
                            "",
                            now,
                            pk,
                            user.pk,
                            user.pk,
                        )
                    )
                categories.append((pk, topic_category[article["topic"]]))
                article_tags += [(pk, tag) for tag in rng.sample(tags, rng.randint(0, 3))]
            cursor.execute(
                "CREATE TEMP TABLE kb_bench_staging (id bigint, state text, audience text, language text, "
                "title text, summary text, body text, is_live boolean, review_by date, owner_id integer, "
                "published_version_id bigint, search_title text, search_text text, title_words text, "
                "summary_words text, body_words text) ON COMMIT DROP"
            )
            _copy(cursor, "kb_bench_staging", STAGING_COLUMNS, staging)
            cursor.execute(
                f"""
                INSERT INTO knowledge_article (id, state, audience, language, title, summary, body, is_live,
                    review_by, flagged, flag_reason, view_count, helpful_count, unhelpful_count, link_count,
                    solved_count, search_title, search_text, search_vector, created_at, updated_at, created_by_id,
                    owner_id, published_version_id)
                SELECT id, state, audience, language, title, summary, body, is_live, review_by, false, '', 0, 0, 0,
                    0, 0, search_title, search_text,
                    CASE WHEN is_live THEN
                        setweight(to_tsvector('{CONFIG}', title_words), 'A')
                        || setweight(to_tsvector('{CONFIG}', summary_words), 'B')
                        || setweight(to_tsvector('{CONFIG}', body_words), 'C')
                    END,
                    now(), now(), owner_id, owner_id, published_version_id
                FROM kb_bench_staging
                """  # noqa: S608 - a constant
            )
            _copy(
                cursor,
                "knowledge_articleversion",
                [
                    "id",
                    "number",
                    "title",
                    "summary",
                    "body",
                    "change_note",
                    "published_at",
                    "article_id",
                    "author_id",
                    "published_by_id",
                ],
                versions,
            )
            _copy(cursor, "knowledge_article_categories", ["article_id", "category_id"], categories)
            _copy(cursor, "knowledge_article_tags", ["article_id", "tag_id"], article_tags)
        done += size
        print(f"kb bench: seeded {done:,}/{count:,} articles ({time.monotonic() - started:.0f} s)", flush=True)
    return time.monotonic() - started


def ensure_articles(count: int) -> dict:
    """At least `count` articles (only the missing ones are added), then VACUUM ANALYZE the knowledge tables."""
    from django.db import connection

    from knowledge.models import Article

    have = Article.objects.count()
    missing = max(0, count - have)
    seed_s = seed(missing) if missing else 0.0
    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in (
            "knowledge_article",
            "knowledge_articleversion",
            "knowledge_article_categories",
            "knowledge_article_tags",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return {
        "articles": Article.objects.count(),
        "live": Article.objects.filter(is_live=True).count(),
        "added": missing,
        "seed_seconds": round(seed_s, 1),
        "vacuum_seconds": round(time.monotonic() - started, 1),
    }


# --- timing ------------------------------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _figures(samples: list[float]) -> dict:
    return {
        "p50": round(statistics.median(samples), 2),
        "p95": round(_percentile(samples, 0.95), 2),
        "max": round(max(samples), 2),
        "samples": len(samples),
    }


def _typed(text: str) -> list[str]:
    """What the suggestions see while an issue is typed: the title, then the description sentence by sentence."""
    title, _, description = text.partition("\n")
    parts = [p for p in re.split(r"(?<=[.。!?！？])\s*", description) if p]
    return [title] + [title + "\n" + "".join(parts[: n + 1]) for n in range(len(parts))]


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _plan(call) -> tuple[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement a call runs; the full plan and its index lines."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    statements = [q["sql"] for q in captured.captured_queries if q["sql"] not in {"BEGIN", "COMMIT"}]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements[:-1]:
            cursor.execute(sql)  # SET LOCAL of the trigram threshold
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statements[-1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    wanted = re.compile(r"(Index Scan|Heap Scan|Seq Scan).* (knowledge_\w+|kb_\w+)|Execution Time")
    lines = [line.rstrip() for line in plan.splitlines() if wanted.search(line)]
    return plan, lines


def measure(*, articles: int = DEFAULT_ARTICLES, samples: int = MIN_SAMPLES, explain_dir=None) -> dict:
    """Seed if needed, then time search() and suggest(); returns the data figures and one result row per call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from knowledge.search import search, suggest

    data = ensure_articles(articles)
    searches = [(lang, lambda q=q: search(q, user_can_see_internal=False)) for lang, q in SEARCH_QUERIES]
    typed = [(("zh" if re.search("[\u4e00-\u9fff]", t) else "en"), t) for issue in ISSUES for t in _typed(issue)]
    suggestions = [(lang, lambda t=t: suggest(t, user_can_see_internal=False)) for lang, t in typed]

    report = {}
    for name, calls in (("kb_search", searches), ("kb_suggest", suggestions)):
        for _ in range(WARMUPS):
            for _lang, call in calls:
                call()
        with CaptureQueriesContext(connection) as captured:
            calls[0][1]()
        queries = sum(1 for q in captured.captured_queries if q["sql"] not in {"BEGIN", "COMMIT"})
        timings: dict[str, list[float]] = {"en": [], "zh": []}
        found = []
        rounds = max(1, math.ceil(samples / len(calls)))
        for _ in range(rounds):
            for lang, call in calls:
                took, hits = _timed(call)
                timings[lang].append(took)
                found.append(len(hits))
        every = timings["en"] + timings["zh"]
        report[name] = {
            **_figures(every),
            "queries": queries,
            "en": _figures(timings["en"]),
            "zh": _figures(timings["zh"]),
            "calls": len(calls),
            "empty": sum(1 for n in found if n == 0),
            "sample_ms": [round(s, 2) for s in every],
        }

    plans = {
        "kb_search_en": lambda: search("printer paper jam", user_can_see_internal=False),
        "kb_search_zh": lambda: search("打印机卡纸", user_can_see_internal=False),
        "kb_search_typo": lambda: search("pritner", user_can_see_internal=False),
        "kb_search_zh_sentence": lambda: search(ZH_SENTENCE, user_can_see_internal=False),
        "kb_search_broad": lambda: search("error", user_can_see_internal=False),
        "kb_suggest_en": lambda: suggest(ISSUES[0], user_can_see_internal=False),
        "kb_suggest_zh": lambda: suggest(ISSUES[-1], user_can_see_internal=False),
    }
    index_use = {}
    for name, call in plans.items():
        plan, lines = _plan(call)
        index_use[name] = lines
        if explain_dir is not None:
            explain_dir.mkdir(parents=True, exist_ok=True)
            (explain_dir / f"{name}.txt").write_text(plan + "\n")
    return {"data": data, "results": report, "plans": index_use}


def print_report(measured: dict) -> None:
    data = measured["data"]
    print(
        f"\n{data['articles']:,} articles ({data['live']:,} live); added {data['added']:,} in "
        f"{data['seed_seconds']} s; VACUUM ANALYZE {data['vacuum_seconds']} s"
    )
    for name, row in measured["results"].items():
        print(
            f"{name:<11} p50 {row['p50']:6.1f} ms  p95 {row['p95']:6.1f} ms  max {row['max']:6.1f} ms  "
            f"({row['samples']} calls; en p50/p95 {row['en']['p50']}/{row['en']['p95']}, "
            f"zh {row['zh']['p50']}/{row['zh']['p95']}; {row['queries']} SQL; {row['empty']} without a hit)"
        )
    for name, lines in measured["plans"].items():
        print(f"\n{name}:")
        for line in lines:
            print("   " + line.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=int(os.environ.get("BENCH_ARTICLES") or DEFAULT_ARTICLES))
    parser.add_argument("--samples", type=int, default=MIN_SAMPLES)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from pathlib import Path

    from django.conf import settings

    print_report(
        measure(
            articles=args.articles,
            samples=max(args.samples, MIN_SAMPLES),
            explain_dir=Path(settings.VAR_DIR) / "bench" / "explain",
        )
    )


if __name__ == "__main__":
    main()
