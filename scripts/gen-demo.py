#!/usr/bin/env python3
"""Writes demo/, a day of synthetic Defender telemetry for about 25 devices, in the CSV form
of an advanced-hunting export (a header of column names, RFC 4180 quoting, datetimes with
seven fractional digits such as 2026-11-30T10:15:00.1234567Z).

usage: scripts/gen-demo.py [OUT_DIR]          (default: demo/)

Files: DeviceNetworkEvents.csv, DeviceProcessEvents.csv, DeviceFileCertificateInfo.csv. Every
timestamp falls in the 24 hours before CLOCK (2026-11-30T12:00:00Z). Most rows are ordinary
activity (browsers, Office, Teams, Windows Update, Defender, svchost); planted among them are
remote-management agents (Atera on two devices, then AnyDesk, ScreenConnect, TeamViewer,
Splashtop and NinjaRMM on one device each) and a few lookalikes that the rules in rules/rmm must
not take for them (notatera.com, a company called Splashtopia, ...).

The output depends only on SEED: run it again and the files are the same byte for byte.
"""
import csv
import hashlib
import io
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
SEED = 20261130
TARGETS = {"network": 3000, "process": 1500, "certificate": 500}

NETWORK_COLUMNS = [
    "Timestamp", "DeviceId", "DeviceName", "ActionType", "RemoteIP", "RemotePort", "RemoteUrl",
    "LocalIP", "LocalPort", "Protocol", "RemoteIPType", "InitiatingProcessSHA256",
    "InitiatingProcessFileName", "InitiatingProcessVersionInfoCompanyName",
    "InitiatingProcessVersionInfoProductName", "InitiatingProcessId",
    "InitiatingProcessCommandLine", "InitiatingProcessFolderPath",
    "InitiatingProcessParentFileName", "InitiatingProcessAccountDomain",
    "InitiatingProcessAccountName", "ReportId",
]
PROCESS_COLUMNS = [
    "Timestamp", "DeviceId", "DeviceName", "ActionType", "FileName", "FolderPath", "SHA1",
    "SHA256", "ProcessVersionInfoCompanyName", "ProcessVersionInfoProductName", "ProcessId",
    "ProcessCommandLine", "AccountDomain", "AccountName", "InitiatingProcessAccountName",
    "InitiatingProcessFileName", "InitiatingProcessFolderPath", "InitiatingProcessId",
    "InitiatingProcessCommandLine", "InitiatingProcessParentFileName", "ReportId",
]
# The table has no ActionType column.
CERTIFICATE_COLUMNS = [
    "Timestamp", "DeviceId", "DeviceName", "SHA1", "IsSigned", "SignatureType", "Signer",
    "Issuer", "CertificateSerialNumber", "IsTrusted", "IsRootSignerMicrosoft", "ReportId",
]

WORKSTATIONS = [
    "ws-finance-03", "ws-finance-07", "ws-hr-02", "ws-sales-03", "ws-sales-11", "ws-eng-04",
    "ws-eng-11", "ws-eng-15", "ws-mkt-05", "ws-legal-01", "ws-exec-02", "ws-support-06",
    "ws-support-09", "lt-field-12", "lt-field-21",
]
SERVERS = [
    "srv-sql-01", "srv-sql-02", "srv-file-02", "srv-app-03", "srv-web-01", "srv-dc-01",
    "srv-dc-02", "srv-print-01", "srv-backup-01", "it-jump-01",
]
USERS = [
    "amartin", "bkowalski", "cnguyen", "dpatel", "eobrien", "fhansen", "gsilva", "hmueller",
    "iwong", "jdoe", "kadams", "lrossi", "mtanaka", "nfischer", "ogarcia",
]
DOMAIN = "CONTOSO"

MS = "Microsoft Corporation"
WINDOWS = "Microsoft® Windows® Operating System"
OFFICE = "C:\\Program Files\\Microsoft Office\\root\\Office16\\"
SYSTEM32 = "C:\\Windows\\System32\\"
ISSUER_MS_WINDOWS = "Microsoft Windows Production PCA 2011"
ISSUER_MS_CODE = "Microsoft Code Signing PCA 2011"
ISSUER_DIGICERT = "DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1"
ISSUER_SECTIGO = "Sectigo Public Code Signing CA R36"
ISSUER_GLOBALSIGN = "GlobalSign GCC R45 EV CodeSigning CA 2020"


class Program:
    """An executable: where it lives, its version information and its signature."""

    def __init__(self, name, folder, company, product, signer, issuer, command=None):
        self.name = name
        self.path = folder + name
        self.company = company
        self.product = product
        self.signer = signer
        self.issuer = issuer
        self.command = command or f'"{self.path}"'

    @property
    def sha1(self):
        return hashlib.sha1(self.path.lower().encode()).hexdigest()

    @property
    def sha256(self):
        return hashlib.sha256(self.path.lower().encode()).hexdigest()


def program(name, folder, company, product, signer, issuer, command=None):
    return Program(name, folder, company, product, signer, issuer, command)


def windows(name, command, folder=SYSTEM32, signer="Microsoft Windows"):
    """A program of Windows itself."""
    return program(name, folder, MS, WINDOWS, signer, ISSUER_MS_WINDOWS, command)


def microsoft(name, folder, product, command=None):
    """A Microsoft application."""
    return program(name, folder, MS, product, MS, ISSUER_MS_CODE, command)


DEFENDER_DIR = "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\"
SERVICING = (
    "C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35"
    "_10.0.22621.4455_none_c9b1a4f2d4b3a1e2\\"
)
SQL_DIR = "C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\"

EXPLORER = windows("explorer.exe", "C:\\Windows\\Explorer.EXE", folder="C:\\Windows\\")
SERVICES = windows("services.exe", "C:\\Windows\\system32\\services.exe")
SVCHOST = windows("svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s wuauserv")
LSASS = windows("lsass.exe", "C:\\Windows\\system32\\lsass.exe")
WUAUCLT = windows(
    "wuauclt.exe",
    '"C:\\Windows\\system32\\wuauclt.exe" /UpdateDeploymentProvider UpdateDeploymentProvider.dll'
    " /ClassId 3c3c8b39-3a58-4f2b-8a6e-3ec2e1a5a9c7 /RunHandlerComServer",
)
TIWORKER = windows(
    "TiWorker.exe",
    "C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack\\TiWorker.exe -Embedding",
    folder=SERVICING,
)
TASKHOST = windows("taskhostw.exe", "taskhostw.exe Install $(Arg0)")
BGTASK = windows(
    "backgroundTaskHost.exe",
    '"C:\\Windows\\system32\\backgroundTaskHost.exe"'
    " -ServerName:BackgroundTaskHost.WebAccountProvider",
)
CONHOST = windows("conhost.exe", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1")
CMD = windows("cmd.exe", '"C:\\Windows\\system32\\cmd.exe" /c "ipconfig /all"')
POWERSHELL = windows(
    "powershell.exe",
    'powershell.exe -NoProfile -ExecutionPolicy Bypass -File "C:\\Scripts\\Get-Inventory.ps1"',
    folder=SYSTEM32 + "WindowsPowerShell\\v1.0\\",
)
GPUPDATE = windows("gpupdate.exe", "gpupdate.exe /target:computer")
SEARCH = windows(
    "SearchProtocolHost.exe",
    '"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe1_'
    ' Global\\UsGthrCtrlFltPipeMssGthrPipe1 1 -2147483646 "Software\\Microsoft\\Windows Search"',
)
DEFENDER = windows(
    "MsMpEng.exe", None, folder=DEFENDER_DIR, signer="Microsoft Windows Publisher"
)
MPCMDRUN = windows(
    "MpCmdRun.exe",
    '"MpCmdRun.exe" SignatureUpdate -ScheduleJob -RestrictPrivileges',
    folder=DEFENDER_DIR,
    signer="Microsoft Windows Publisher",
)
SENSE = windows(
    "MsSense.exe",
    None,
    folder="C:\\Program Files\\Windows Defender Advanced Threat Protection\\",
    signer="Microsoft Windows Publisher",
)

EDGE = microsoft(
    "msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\", "Microsoft Edge"
)
OUTLOOK = microsoft("OUTLOOK.EXE", OFFICE, "Microsoft Outlook")
EXCEL = microsoft("EXCEL.EXE", OFFICE, "Microsoft Office")
WORD = microsoft("WINWORD.EXE", OFFICE, "Microsoft Office")
TEAMS = microsoft(
    "ms-teams.exe",
    "C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\",
    "Microsoft Teams",
)
ONEDRIVE = microsoft(
    "OneDrive.exe",
    "C:\\Program Files\\Microsoft OneDrive\\",
    "Microsoft OneDrive",
    '"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe" /background',
)
VSCODE = microsoft(
    "Code.exe", "C:\\Users\\{user}\\AppData\\Local\\Programs\\Microsoft VS Code\\",
    "Visual Studio Code",
)
SQLSERVR = microsoft(
    "sqlservr.exe", SQL_DIR, "Microsoft SQL Server", f'"{SQL_DIR}sqlservr.exe" -sMSSQLSERVER'
)

CHROME = program(
    "chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\", "Google LLC",
    "Google Chrome", "Google LLC", ISSUER_DIGICERT,
)
FIREFOX = program(
    "firefox.exe", "C:\\Program Files\\Mozilla Firefox\\", "Mozilla Corporation", "Firefox",
    "Mozilla Corporation", ISSUER_DIGICERT,
)
GIT = program(
    "git.exe", "C:\\Program Files\\Git\\cmd\\", "The Git Development Community", "Git",
    "Johannes Schindelin", ISSUER_SECTIGO, "git.exe fetch --all --prune",
)
PYTHON = program(
    "python.exe", "C:\\Program Files\\Python312\\", "Python Software Foundation", "Python",
    "Python Software Foundation", ISSUER_DIGICERT, "python.exe -m pytest tests",
)
ZOOM = program(
    "Zoom.exe", "C:\\Users\\{user}\\AppData\\Roaming\\Zoom\\bin\\",
    "Zoom Video Communications, Inc.", "Zoom", "Zoom Video Communications, Inc.",
    ISSUER_DIGICERT,
)
ACROBAT = program(
    "Acrobat.exe", "C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\", "Adobe Inc.",
    "Adobe Acrobat", "Adobe Inc.", ISSUER_DIGICERT,
)
NVIDIA = program(
    "NVDisplay.Container.exe",
    "C:\\Windows\\System32\\DriverStore\\FileRepository\\nv_dispi.inf_amd64_5b3d9f2a1c7e4d60"
    "\\Display.NvContainer\\",
    "NVIDIA Corporation", "NVIDIA Container", "NVIDIA Corporation", ISSUER_DIGICERT,
)
INTEL = program(
    "igfxEM.exe", SYSTEM32, "Intel Corporation", "Intel(R) Common User Interface",
    "Intel Corporation", ISSUER_DIGICERT,
)
DELL = program(
    "Dell.TechHub.exe", "C:\\Program Files\\Dell\\TechHub\\", "Dell Inc.", "Dell TechHub",
    "Dell Inc", ISSUER_DIGICERT,
)

# Where ordinary programs connect: (program, urls, port).
USER_TRAFFIC = [
    (CHROME, """www.google.com clients2.google.com update.googleapis.com fonts.gstatic.com
        ajax.googleapis.com cdn.jsdelivr.net www.linkedin.com github.com
        login.microsoftonline.com d3ag4hukkh62yn.cloudfront.net www.wikipedia.org""", 443),
    (EDGE, """www.bing.com edge.microsoft.com www.msn.com ntp.msn.com login.microsoftonline.com
        config.edge.skype.com assets.msn.com""", 443),
    (FIREFOX, """www.mozilla.org firefox.settings.services.mozilla.com
        incoming.telemetry.mozilla.org www.google.com""", 443),
    (OUTLOOK, """outlook.office365.com outlook.office.com substrate.office.com
        autodiscover.contoso.com""", 443),
    (EXCEL, """officeclient.microsoft.com roaming.officeapps.live.com nexus.officeapps.live.com
        contoso.sharepoint.com""", 443),
    (WORD, "officeclient.microsoft.com nexus.officeapps.live.com contoso.sharepoint.com", 443),
    (TEAMS, """teams.microsoft.com presence.teams.microsoft.com statics.teams.cdn.office.net
        teams.events.data.microsoft.com""", 443),
    (ONEDRIVE, "contoso-my.sharepoint.com g.live.com oneclient.sfx.ms", 443),
    (ZOOM, "zoom.us us05web.zoom.us", 443),
]
SYSTEM_TRAFFIC = [
    (SVCHOST, """sls.update.microsoft.com fe3cr.delivery.mp.microsoft.com ctldl.windowsupdate.com
        settings-win.data.microsoft.com v10.events.data.microsoft.com time.windows.com
        login.live.com""", 443),
    (DEFENDER, """wdcp.microsoft.com definitionupdates.microsoft.com go.microsoft.com
        wdcpalt.microsoft.com""", 443),
    (SENSE, """winatp-gw-eus.microsoft.com us-v20.events.data.microsoft.com
        winatp-gw-cus.microsoft.com""", 443),
    (MPCMDRUN, "definitionupdates.microsoft.com go.microsoft.com", 443),
]
USER_TRAFFIC = [(p, urls.split(), port) for p, urls, port in USER_TRAFFIC]
SYSTEM_TRAFFIC = [(p, urls.split(), port) for p, urls, port in SYSTEM_TRAFFIC]


# Processes started during the day: (program, parent).
USER_PROCESSES = [
    (CHROME, EXPLORER), (EDGE, EXPLORER), (OUTLOOK, EXPLORER), (EXCEL, EXPLORER),
    (WORD, EXPLORER), (TEAMS, EXPLORER), (ONEDRIVE, EXPLORER), (ACROBAT, EXPLORER),
    (ZOOM, EXPLORER), (CMD, EXPLORER), (CONHOST, CMD), (BGTASK, SVCHOST),
]
ENGINEER_PROCESSES = [(VSCODE, EXPLORER), (GIT, VSCODE), (PYTHON, VSCODE), (FIREFOX, EXPLORER)]
SYSTEM_PROCESSES = [
    (SVCHOST, SERVICES), (MPCMDRUN, DEFENDER), (WUAUCLT, SVCHOST), (TIWORKER, SVCHOST),
    (TASKHOST, SVCHOST), (SEARCH, SVCHOST), (GPUPDATE, SVCHOST), (POWERSHELL, SVCHOST),
    (CONHOST, POWERSHELL),
]

# The parent of a process's parent, where it is not services.exe.
GRANDPARENTS = {
    "explorer.exe": "userinit.exe", "services.exe": "wininit.exe", "cmd.exe": "explorer.exe",
    "Code.exe": "explorer.exe", "AnyDesk.exe": "explorer.exe", "powershell.exe": "svchost.exe",
}


class Demo:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.report = 10_000
        self.network = []
        self.process = []
        self.certificate = []
        self.devices = {}
        for i, name in enumerate(WORKSTATIONS + SERVERS):
            self.devices[name] = {
                "id": hashlib.sha1(f"contoso/{name}".encode()).hexdigest(),
                "ip": f"10.20.{1 + i // 8}.{20 + i * 7 % 200}",
                "user": USERS[i] if i < len(USERS) else None,
            }

    # --- Helpers

    def when(self, start=None, end=None):
        """A time in the day before the clock (or between two offsets in seconds before it)."""
        start = 86_340 if start is None else start
        end = 60 if end is None else end
        seconds = self.rng.uniform(end, start)
        t = CLOCK - timedelta(seconds=seconds)
        return t.replace(microsecond=self.rng.randrange(1_000_000))

    def next_report(self):
        self.report += self.rng.randint(1, 40)
        return self.report

    def public_ip(self, url):
        h = hashlib.md5(url.encode()).digest()
        first = [13, 20, 23, 34, 40, 52, 104, 142, 151, 172, 185, 199][h[0] % 12]
        return f"{first}.{h[1]}.{h[2]}.{1 + h[3] % 254}"

    def account(self, device, system):
        d = self.devices[device]
        if system or d["user"] is None:
            return ("nt authority", "system")
        return (DOMAIN.lower(), d["user"])

    def path_for(self, prog, device):
        user = self.devices[device]["user"] or "svc-admin"
        return prog.path.replace("{user}", user)

    # --- Rows

    def connect(self, device, prog, url, port=443, when=None, parent=None, system=None,
                action=None, remote_ip=None):
        domain, name = self.account(device, system if system is not None else parent is SERVICES)
        d = self.devices[device]
        if action is None:
            action = "ConnectionSuccess" if self.rng.random() > 0.04 else "ConnectionFailed"
        remote_ip = remote_ip or self.public_ip(url or str(self.rng.random()))
        self.network.append({
            "Timestamp": when or self.when(),
            "DeviceId": d["id"],
            "DeviceName": device,
            "ActionType": action,
            "RemoteIP": remote_ip,
            "RemotePort": port,
            "RemoteUrl": url,
            "LocalIP": d["ip"],
            "LocalPort": self.rng.randint(49152, 65535),
            "Protocol": "Tcp",
            "RemoteIPType": "Private" if remote_ip.startswith("10.") else "Public",
            "InitiatingProcessSHA256": prog.sha256,
            "InitiatingProcessFileName": prog.name,
            "InitiatingProcessVersionInfoCompanyName": prog.company,
            "InitiatingProcessVersionInfoProductName": prog.product,
            "InitiatingProcessId": self.pid(device, prog),
            "InitiatingProcessCommandLine": prog.command.replace("{user}", d["user"] or ""),
            "InitiatingProcessFolderPath": self.path_for(prog, device),
            "InitiatingProcessParentFileName": (parent or EXPLORER).name,
            "InitiatingProcessAccountDomain": domain,
            "InitiatingProcessAccountName": name,
            "ReportId": self.next_report(),
        })

    def pid(self, device, prog):
        h = hashlib.md5(f"{device}/{prog.name}".encode()).digest()
        return 1000 + int.from_bytes(h[:2], "big") % 30000 // 4 * 4

    def start(self, device, prog, parent, when=None, system=False, command=None):
        domain, name = self.account(device, system)
        d = self.devices[device]
        user = d["user"] or "svc-admin"
        self.process.append({
            "Timestamp": when or self.when(),
            "DeviceId": d["id"],
            "DeviceName": device,
            "ActionType": "ProcessCreated",
            "FileName": prog.name,
            "FolderPath": self.path_for(prog, device),
            "SHA1": prog.sha1,
            "SHA256": prog.sha256,
            "ProcessVersionInfoCompanyName": prog.company,
            "ProcessVersionInfoProductName": prog.product,
            "ProcessId": self.rng.randint(1000, 40000) // 4 * 4,
            "ProcessCommandLine": (command or prog.command).replace("{user}", user),
            "AccountDomain": domain,
            "AccountName": name,
            "InitiatingProcessAccountName": name,
            "InitiatingProcessFileName": parent.name,
            "InitiatingProcessFolderPath": self.path_for(parent, device),
            "InitiatingProcessId": self.pid(device, parent),
            "InitiatingProcessCommandLine": parent.command.replace("{user}", user),
            "InitiatingProcessParentFileName": GRANDPARENTS.get(parent.name, "services.exe"),
            "ReportId": self.next_report(),
        })

    def certificate_of(self, device, prog, when=None, trusted=True):
        d = self.devices[device]
        microsoft = prog.signer.startswith("Microsoft")
        serial = hashlib.md5(prog.signer.encode()).hexdigest()[:32]
        self.certificate.append({
            "Timestamp": when or self.when(),
            "DeviceId": d["id"],
            "DeviceName": device,
            "SHA1": prog.sha1,
            "IsSigned": "true",
            "SignatureType": "Embedded" if not microsoft or self.rng.random() < 0.5 else "Catalog",
            "Signer": prog.signer,
            "Issuer": prog.issuer,
            "CertificateSerialNumber": serial,
            "IsTrusted": "true" if trusted else "false",
            "IsRootSignerMicrosoft": "true" if microsoft else "false",
            "ReportId": self.next_report(),
        })

    # --- Planted remote-management activity

    def beacon(self, device, prog, urls, every, jitter, parent=SERVICES):
        """A service calling home about every `every` seconds through the day."""
        t = 86_340 - self.rng.uniform(0, every)
        while t > 60:
            self.connect(device, prog, self.rng.choice(urls), when=self.when(t, t), parent=parent,
                         action="ConnectionSuccess")
            t -= every + self.rng.uniform(-jitter, jitter)

    def plant(self):
        atera_dir = "C:\\Program Files\\ATERA Networks\\AteraAgent\\"
        atera = program("AteraAgent.exe", atera_dir, "Atera Networks Ltd", "AteraAgent",
                        "Atera Networks Ltd", ISSUER_DIGICERT,
                        f'"{atera_dir}AteraAgent.exe"')
        heartbeat = program("AgentPackageHeartbeat.exe",
                            atera_dir + "Packages\\AgentPackageHeartbeat\\", "Atera Networks Ltd",
                            "AgentPackageHeartbeat", "Atera Networks Ltd", ISSUER_DIGICERT)
        monitoring = program("AgentPackageMonitoring.exe",
                             atera_dir + "Packages\\AgentPackageMonitoring\\", "Atera Networks Ltd",
                             "AgentPackageMonitoring", "Atera Networks Ltd", ISSUER_DIGICERT)
        atera_urls = ["agent-api.atera.com", "agent-api.atera.com", "pubsub.atera.com",
                      "ps.atera.com", "atera-agent-heartbeat.servicebus.windows.net",
                      "atera-agent-heartbeat-cus.servicebus.windows.net"]
        for device in ("srv-sql-01", "ws-finance-07"):
            self.beacon(device, atera, atera_urls, every=1500, jitter=240)
            self.start(device, atera, SERVICES, when=self.when(86_000, 85_000), system=True)
            for _ in range(3):
                t = self.when()
                self.start(device, heartbeat, atera, when=t, system=True)
                self.start(device, monitoring, atera, when=t + timedelta(seconds=2), system=True)
            for _ in range(2):
                self.start(device, POWERSHELL, atera, system=True,
                           command="powershell.exe -NonInteractive -ExecutionPolicy Bypass -File"
                           f' "{atera_dir}Packages\\AgentPackageRunCommandInteractive\\script.ps1"')
            for prog in (atera, heartbeat, monitoring):
                self.certificate_of(device, prog)

        anydesk = program("AnyDesk.exe", "C:\\Users\\{user}\\Downloads\\", "AnyDesk Software GmbH",
                          "AnyDesk", "AnyDesk Software GmbH", ISSUER_GLOBALSIGN)
        device = "ws-sales-03"
        t = 30_000
        self.start(device, anydesk, EXPLORER, when=self.when(t + 30, t + 10))
        self.start(device, anydesk, anydesk, when=self.when(t, t - 5),
                   command='"C:\\Users\\{user}\\Downloads\\AnyDesk.exe" --local-service')
        anydesk_urls = [
            "boot.net.anydesk.com", "relay-9b4e2f11.net.anydesk.com", "api.playanext.com"
        ]
        for i in range(40):
            url = anydesk_urls[i % 3]
            self.connect(device, anydesk, url, port=443 if i % 3 else 80,
                         when=self.when(t - 60 * i, t - 60 * i - 50), action="ConnectionSuccess")
        self.certificate_of(device, anydesk, when=self.when(t + 40, t + 35))

        sc_dir = "C:\\Program Files (x86)\\ScreenConnect Client (5b1f9c2e7a4d3b8f)\\"
        sc_relay = "instance-k8v2qz-relay.screenconnect.com"
        sc_service = program("ScreenConnect.ClientService.exe", sc_dir, "ScreenConnect Software",
                             "ScreenConnect", "ConnectWise, LLC", ISSUER_DIGICERT,
                             f'"{sc_dir}ScreenConnect.ClientService.exe" "?e=Access&y=Guest'
                             f'&h={sc_relay}&p=443&s=5b1f9c2e"')
        sc_client = program("ScreenConnect.WindowsClient.exe", sc_dir, "ScreenConnect Software",
                            "ScreenConnect", "ConnectWise, LLC", ISSUER_DIGICERT)
        device = "srv-file-02"
        self.beacon(device, sc_service, [sc_relay], every=2400, jitter=300)
        self.start(device, sc_service, SERVICES, when=self.when(86_200, 86_000), system=True)
        self.start(device, sc_client, sc_service, when=self.when(20_000, 19_000), system=True)
        self.start(device, CMD, sc_service, when=self.when(18_000, 17_000), system=True,
                   command='cmd.exe /c "net group \\"Domain Admins\\" /domain"')
        for prog in (sc_service, sc_client):
            self.certificate_of(device, prog)

        tv_dir = "C:\\Program Files\\TeamViewer\\"
        tv_service = program("TeamViewer_Service.exe", tv_dir, "TeamViewer Germany GmbH",
                             "TeamViewer", "TeamViewer Germany GmbH", ISSUER_DIGICERT)
        tv = program("TeamViewer.exe", tv_dir, "TeamViewer Germany GmbH", "TeamViewer",
                     "TeamViewer Germany GmbH", ISSUER_DIGICERT)
        device = "ws-hr-02"
        tv_urls = ["router11.teamviewer.com", "client.teamviewer.com", "master9.teamviewer.com"]
        self.beacon(device, tv_service, tv_urls, every=3000, jitter=400)
        self.start(device, tv_service, SERVICES, when=self.when(86_100, 86_000), system=True)
        self.start(device, tv, EXPLORER, when=self.when(40_000, 39_000))
        for prog in (tv_service, tv):
            self.certificate_of(device, prog)

        st_dir = "C:\\Program Files (x86)\\Splashtop\\Splashtop Remote\\Server\\"
        st_service = program("SRService.exe", st_dir, "Splashtop Inc.", "Splashtop Streamer",
                             "Splashtop Inc.", ISSUER_DIGICERT)
        st_manager = program("SRManager.exe", st_dir, "Splashtop Inc.", "Splashtop Streamer",
                             "Splashtop Inc.", ISSUER_DIGICERT)
        device = "ws-eng-11"
        st_urls = ["st2-v3-dc.splashtop.com", "sr-relay-us.splashtop.com"]
        self.beacon(device, st_service, st_urls, every=3600, jitter=500)
        self.start(device, st_service, SERVICES, when=self.when(86_000, 85_900), system=True)
        self.start(device, st_manager, st_service, when=self.when(85_800, 85_700), system=True)
        for prog in (st_service, st_manager):
            self.certificate_of(device, prog)

        ninja_dir = "C:\\Program Files (x86)\\contosoitmsp-5.8.9154\\"
        ninja = program("NinjaRMMAgent.exe", ninja_dir, "NinjaRMM LLC", "NinjaRMMAgent",
                        "NinjaRMM LLC", ISSUER_DIGICERT)
        device = "srv-app-03"
        ninja_urls = ["app.ninjarmm.com", "ca-agent.ninjarmm.com"]
        self.beacon(device, ninja, ninja_urls, every=1800, jitter=200)
        self.start(device, ninja, SERVICES, when=self.when(86_100, 86_000), system=True)
        self.certificate_of(device, ninja)

        # Lookalikes: near misses the rules must not take for remote-management tools.
        lookalikes = [
            ("notatera.com", "ws-mkt-05"),
            ("atera-com.net", "ws-mkt-05"),
            ("myanydesk.com", "ws-sales-11"),
            ("www.teamviewer-com.net", "ws-legal-01"),
        ]
        for url, device in lookalikes:
            for _ in range(2):
                self.connect(device, CHROME, url, parent=EXPLORER, action="ConnectionSuccess")
        game = program("SplashtopiaLauncher.exe",
                       "C:\\Users\\{user}\\AppData\\Local\\Splashtopia\\",
                       "Splashtopia Games Ltd", "Splashtopia", "Splashtopia Games Ltd",
                       ISSUER_SECTIGO)
        self.start("ws-eng-15", game, EXPLORER)
        self.certificate_of("ws-eng-15", game)
        widgets = program("DeskWidgets.exe", "C:\\Program Files\\AnyDeskTop Widgets\\",
                          "AnyDeskTop Widgets", "DeskWidgets", "TeamViewerFans GmbH",
                          ISSUER_SECTIGO)
        self.start("ws-support-06", widgets, EXPLORER)
        self.certificate_of("ws-support-06", widgets)

    # --- Ordinary activity

    def noise(self):
        workstations = list(WORKSTATIONS)
        everyone = WORKSTATIONS + SERVERS
        engineers = [d for d in WORKSTATIONS if d.startswith("ws-eng")]
        sql = [d for d in SERVERS if d.startswith("srv-sql")]
        while len(self.network) < TARGETS["network"]:
            r = self.rng.random()
            if r < 0.55:
                device = self.rng.choice(workstations)
                prog, urls, port = self.rng.choice(USER_TRAFFIC)
                self.connect(device, prog, self.rng.choice(urls), port, parent=EXPLORER)
            elif r < 0.92:
                device = self.rng.choice(everyone)
                prog, urls, port = self.rng.choice(SYSTEM_TRAFFIC)
                self.connect(device, prog, self.rng.choice(urls), port, parent=SERVICES)
            else:
                # Internal traffic with no URL: SQL clients, domain controllers.
                device = self.rng.choice(sql + ["srv-dc-01", "srv-dc-02"])
                prog = SQLSERVR if device in sql else LSASS
                port = 1433 if device in sql else self.rng.choice([88, 389, 445, 135])
                peer = f"10.20.{self.rng.randint(1, 4)}.{self.rng.randint(20, 220)}"
                self.connect(device, prog, "", port, parent=SERVICES, system=True,
                             action="InboundConnectionAccepted", remote_ip=peer)

        while len(self.process) < TARGETS["process"]:
            r = self.rng.random()
            if r < 0.5:
                device = self.rng.choice(workstations)
                choices = USER_PROCESSES + (ENGINEER_PROCESSES if device in engineers else [])
                prog, parent = self.rng.choice(choices)
                self.start(device, prog, parent)
            else:
                device = self.rng.choice(everyone)
                prog, parent = self.rng.choice(SYSTEM_PROCESSES)
                self.start(device, prog, parent, system=True)

        signed = [p for p, _ in USER_PROCESSES + ENGINEER_PROCESSES + SYSTEM_PROCESSES]
        signed += [DEFENDER, SENSE, SQLSERVR, NVIDIA, INTEL, DELL, FIREFOX]
        while len(self.certificate) < TARGETS["certificate"]:
            device = self.rng.choice(everyone)
            prog = self.rng.choice(signed)
            self.certificate_of(device, prog, trusted=self.rng.random() > 0.01)


def timestamp(t):
    """Defender's export form: seven fractional digits and a Z."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}{t.microsecond % 10}Z"


def write_csv(path, columns, rows):
    rows = sorted(rows, key=lambda r: (r["Timestamp"], r["ReportId"]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(columns)
    for r in rows:
        w.writerow([timestamp(r[c]) if c == "Timestamp" else r.get(c, "") for c in columns])
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return len(rows)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "demo"
    out.mkdir(parents=True, exist_ok=True)
    demo = Demo()
    demo.plant()
    demo.noise()
    day_start = CLOCK - timedelta(days=1)
    for rows in (demo.network, demo.process, demo.certificate):
        assert all(day_start < r["Timestamp"] < CLOCK for r in rows)
    n = write_csv(out / "DeviceNetworkEvents.csv", NETWORK_COLUMNS, demo.network)
    p = write_csv(out / "DeviceProcessEvents.csv", PROCESS_COLUMNS, demo.process)
    c = write_csv(out / "DeviceFileCertificateInfo.csv", CERTIFICATE_COLUMNS, demo.certificate)
    devices = len(demo.devices)
    print(f"{n} network, {p} process, {c} certificate rows for {devices} devices in {out}")


if __name__ == "__main__":
    main()
