"""What the security tests need to attack a real ``retkoop hub``: a platform in a
world-traversable folder (so that what protects a file is its own mode and owner, not
pytest's private temporary folder), plain-HTTP logins as a browser would do them, hub API
calls with a cookie or a token, and code run in a kernel through a single-user server's
REST and websocket API (what an analyst's JupyterLab does)."""
from __future__ import annotations

from contextlib import contextmanager

import asyncio
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

PORT = 18040  # every security module uses 18040-18049, one after the other (xdist group "hub")
SERVER_PORTS = (18043, 18049)
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "un-secret-de-classe-42"
REPO = Path(__file__).resolve().parents[2]

DASHBOARD = '''
import os, ipywidgets as w
w.HTML(f"<p class='who'>{os.environ.get('RETKOOP_USER')} {os.environ.get('RETKOOP_COOP')}</p>")
'''


def world_dir(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    root.chmod(0o755)
    return root


def user_python() -> str:
    """A Python with the platform's packages that an unprivileged user can run: this one if
    it is reachable, else a small venv on the system Python of the same version whose .pth
    adds this venv's site-packages (``isolation.shared_python``)."""
    try:
        from retkoop_widgets.hub.isolation import shared_python
    except ImportError:  # older code: no isolation at all
        return sys.executable
    return shared_python(Path("/tmp/retkoop-user-python"))


def make_platform(prefix: str, *, accounts=(), dashboard: str = DASHBOARD):
    from retkoop_widgets.hub.launcher import HubSettings, prepare_database
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.accounts import Accounts
    import nbformat
    root = world_dir(prefix)
    url = f"sqlite:///{root / 'retkoop.sqlite3'}"
    nb = root / "notebooks"
    nb.mkdir()
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(dashboard)])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, nb / "tableau_de_bord.ipynb")
    nbformat.write(book, nb / "ad.ipynb")
    nbformat.write(book, nb / "analyse_departementale.ipynb")
    (nb / "formation").mkdir()
    import dataclasses
    extra = {"homes_dir": root / "homes", "user_python": user_python()}
    known = {f.name for f in dataclasses.fields(HubSettings)}  # (so the attack also runs on older code)
    settings = HubSettings(db_url=url, port=PORT, data_dir=root / "hub", notebooks_dir=nb,
                           server_ports=SERVER_PORTS, **{k: v for k, v in extra.items() if k in known})
    prepare_database(settings)
    books = Books(url)
    books.add_ad("AD76", "OCCE Seine-Maritime")
    books.add_coop("AD76-0421", "École des Tilleuls", "AD76")
    books.add_coop("AD76-0102", "École Jules Ferry", "AD76")
    acc = Accounts(url)
    for login, role, scope in accounts:
        acc.add(login, role, coop=scope if role == "mandataire" else None,
                ad=scope if role in ("admin-ad", "analyste") else None, password=PASSWORD)
    return settings


@contextmanager
def running_platform(prefix: str, *, accounts=(), **settings_overrides):
    """A real hub on a fresh platform (``make_platform``) for one test module; stopped and
    cleaned up afterwards."""
    from retkoop_widgets.hub.launcher import HubProcess
    settings = make_platform(prefix, accounts=accounts)
    for name, value in settings_overrides.items():
        setattr(settings, name, value)
    hub = HubProcess(settings)
    try:
        yield hub.start()
    finally:
        hub.stop()
        cleanup_platform(settings)


def cleanup_platform(settings) -> None:
    from retkoop_widgets.services.accounts import Accounts
    try:
        from retkoop_widgets.hub.isolation import remove_os_user
    except ImportError:
        remove_os_user = None
    for p in Accounts(settings.db_url).list():
        if remove_os_user:
            remove_os_user(p.login)
    shutil.rmtree(settings.data_dir.parent, ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


class Session:
    """One browser-like HTTP client: a cookie jar, no automatic redirects."""

    def __init__(self, base: str = BASE, source: str | None = None, headers: dict | None = None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar), NoRedirect]
        if source:

            class SourceConn(http.client.HTTPConnection):
                def __init__(self, *a, **k):
                    super().__init__(*a, source_address=(source, 0), **k)

            class SourceHandler(urllib.request.HTTPHandler):
                def http_open(self, req):
                    return self.do_open(SourceConn, req)
            handlers.append(SourceHandler)
        self.opener = urllib.request.build_opener(*handlers)
        self.headers = dict(headers or {})

    def request(self, method: str, path: str, data: bytes | None = None, headers: dict | None = None):
        """(status, body text, response headers)."""
        h = {**self.headers, **(headers or {})}
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            r = self.opener.open(req, timeout=120)
            return r.status, r.read().decode(errors="replace"), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace"), e.headers

    def cookie(self, name: str) -> str | None:
        for c in self.jar:
            if c.name == name:
                return c.value
        return None

    def xsrf(self) -> dict:
        v = self.cookie("_xsrf")
        return {"X-XSRFToken": v} if v else {}

    def login(self, login: str, password: str = PASSWORD):
        status, html, _ = self.request("GET", "/hub/login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', html).group(1)
        data = urllib.parse.urlencode({"_xsrf": xsrf, "username": login, "password": password}).encode()
        return self.request("POST", "/hub/login", data)

    def api(self, method: str, path: str, body=None, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"token {token}"
        else:
            headers.update(self.xsrf())
            headers["Referer"] = self.base + "/hub/"
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        status, text, hdrs = self.request(method, "/hub/api" + path, data, headers)
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text


def start_server(s: Session, user: str, token: str | None = None, timeout: float = 120) -> None:
    """Start ``user``'s server through the hub API and wait until it is ready."""
    status, body = s.api("POST", f"/users/{user}/server", token=token)
    assert status in (201, 202, 400), (status, body)  # 400: already running
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, model = s.api("GET", f"/users/{user}", token=token)
        server = (model or {}).get("servers", {}).get("") if status == 200 else None
        if server and server.get("ready"):
            return
        time.sleep(0.5)
    raise AssertionError(f"server of {user} not ready: {status} {model}")


def run_in_kernel(user: str, token: str, code: str, timeout: float = 120) -> str:
    """Start a kernel on ``user``'s server with their token, run ``code``, return its stdout
    (and any error's name and value)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    auth = {"Authorization": f"token {token}"}
    req = urllib.request.Request(f"{BASE}/user/{user}/api/kernels", data=b"{}", method="POST",
                                 headers={**auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        kernel = json.loads(r.read())["id"]

    async def talk() -> str:
        ws = await websocket_connect(HTTPRequest(
            f"ws://127.0.0.1:{PORT}/user/{user}/api/kernels/{kernel}/channels", headers=auth,
            connect_timeout=60))
        msg_id = uuid.uuid4().hex
        ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                       "session": uuid.uuid4().hex, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        out = []
        while True:
            raw = await asyncio.wait_for(ws.read_message(), timeout)
            if raw is None:
                break
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                out.append(f"ERROR {msg['content']['ename']}: {msg['content']['evalue']}")
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        ws.close()
        return "".join(out)

    try:
        return asyncio.run(talk())
    finally:
        req = urllib.request.Request(f"{BASE}/user/{user}/api/kernels/{kernel}", method="DELETE", headers=auth)
        try:
            urllib.request.urlopen(req, timeout=30).close()
        except OSError:
            pass


def new_token(s: Session, user: str, note: str = "attaque") -> tuple[int, object]:
    return s.api("POST", f"/users/{user}/tokens", {"note": note})


def hub_pid_of_server(user: str) -> int | None:
    import psutil
    for p in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
            env = p.info["environ"] or {}
        except Exception:
            continue
        if ("singleuser" in cmd and env.get("JUPYTERHUB_USER") == user
                and f":{PORT + 2}/" in env.get("JUPYTERHUB_API_URL", "")):  # this hub's, not another's
            return p.pid
    return None


def sys_python() -> str:
    return sys.executable


__all__ = ["PORT", "BASE", "PASSWORD", "Session", "make_platform", "cleanup_platform", "start_server",
           "run_in_kernel", "new_token", "hub_pid_of_server", "world_dir", "os"]


def follow(s: Session, path: str, timeout: float = 120, start: bool = False):
    """GET ``path`` as a browser would: follow redirections (the OAuth dance between the
    hub and the user's server), wait on the "starting" page. ``start``: first ask the hub to
    start the server (/hub/spawn). Returns (status, body, path)."""
    deadline = time.monotonic() + timeout
    target = path
    if start:
        path = "/hub/spawn"
    while True:
        status, body, headers = s.request("GET", path)
        if status == 200 and "/spawn-pending/" in path and time.monotonic() < deadline:
            time.sleep(0.5)
            path = target
            continue
        if status not in (301, 302, 303, 307) or time.monotonic() > deadline:
            return status, body, path
        loc = urllib.parse.urlsplit(headers["Location"])
        path = loc.path + (f"?{loc.query}" if loc.query else "")


def kernels_of_server(user: str) -> list[int]:
    """Pids of the kernels this hub's server of ``user`` runs."""
    import psutil
    pid = hub_pid_of_server(user)
    if pid is None:
        return []
    return [p.pid for p in psutil.Process(pid).children(recursive=True)
            if "ipykernel" in " ".join(p.cmdline())]
