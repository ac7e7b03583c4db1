"""Finding 5 (clean stop): SIGTERM to ``retkoop hub`` (what systemd sends) stops every
user server, every kernel, the proxy and the idle culler, and a restart finds the ports
free and nothing left over. The real command, with a mandataire's dashboard kernel and an
analyst's JupyterLab kernel running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hubkit import BASE, PORT, SERVER_PORTS, Session, cleanup_platform, follow, kernels_of_server, \
    make_platform, new_token, run_in_kernel, start_server

pytestmark = [pytest.mark.slow, pytest.mark.security]
RETKOOP = str(Path(sys.executable).parent / "retkoop")


def leftovers(settings) -> list[str]:
    """Processes that belong to this platform: whatever carries its folder in its environment
    (hub, proxy, culler: the data dir; servers, kernels and their children: the books' URL,
    the homes), points at this hub's API, or runs as the analyst's OS user."""
    import psutil
    from retkoop_widgets.hub.isolation import lookup, os_user_name
    ana = lookup(os_user_name("ana"))
    out = []
    for p in psutil.process_iter(["pid", "cmdline", "environ", "uids"]):
        try:
            env = p.info["environ"] or {}
        except Exception:
            continue
        if p.pid == os.getpid():
            continue
        root = str(settings.data_dir.parent)  # the platform's folder: data, books, homes
        ours = (any(root in v for v in env.values())
                or f":{PORT + 2}/" in env.get("JUPYTERHUB_API_URL", "")
                or (ana is not None and p.info["uids"] and p.info["uids"].real == ana.pw_uid))
        if ours:
            out.append(f"{p.pid} {' '.join(p.info['cmdline'] or [])[:120]}")
    return out


def start_cli(settings) -> subprocess.Popen:
    env = {**os.environ, "RETKOOP_DB_URL": settings.db_url,
           "RETKOOP_HUB_SERVER_PORTS": f"{SERVER_PORTS[0]}-{SERVER_PORTS[1]}",
           "RETKOOP_HUB_HOMES_DIR": str(settings.homes_dir),
           "RETKOOP_HUB_USER_PYTHON": settings.user_python}
    proc = subprocess.Popen([RETKOOP, "hub", "--port", str(PORT), "--data-dir", str(settings.data_dir),
                             "--notebooks", str(settings.notebooks_dir), "--backup-every", "0"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, "retkoop hub stopped at start"
        try:
            with urllib.request.urlopen(f"{BASE}/hub/api/", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    raise AssertionError("retkoop hub did not start")


@pytest.fixture(scope="module")
def settings():
    s = make_platform("retkoop-sec-stp-", accounts=[("tilleuls", "mandataire", "AD76-0421"),
                                                   ("ana", "analyste", "AD76")])
    yield s
    cleanup_platform(s)


def test_sigterm_stops_everything_and_a_restart_finds_nothing_left(settings):
    proc = start_cli(settings)
    try:
        m = Session()
        assert m.login("tilleuls")[0] == 302
        status, body, _ = follow(m, "/user/tilleuls/voila/render/tableau_de_bord.ipynb", start=True)
        assert status == 200 and kernels_of_server("tilleuls")
        a = Session()
        assert a.login("ana")[0] == 302
        token = new_token(a, "ana")[1]["token"]
        start_server(a, "ana", token=token)
        # a kernel left running (its tab closed without shutting it down)
        req = urllib.request.Request(f"{BASE}/user/ana/api/kernels", data=b"{}", method="POST",
                                     headers={"Authorization": f"token {token}"})
        urllib.request.urlopen(req, timeout=60).close()
        assert "2" in run_in_kernel("ana", token, "print(1 + 1)")
        assert len(leftovers(settings)) >= 5  # hub, proxy, culler, 2 servers, kernels
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    # (a kernel may take a moment to die after its server: wait for it, bounded)
    deadline = time.monotonic() + 30
    while leftovers(settings) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert leftovers(settings) == []
    again = start_cli(settings)  # the ports are free again
    try:
        assert Session().login("tilleuls")[0] == 302
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(60)
    assert leftovers(settings) == []


def test_a_hub_killed_at_stop_leaves_no_server_nor_proxy_behind(settings):
    """When the hub does not stop in time (a slow machine) and must be killed, its servers,
    kernels, proxy and culler (each in their own session, out of reach of the kill) are
    found and stopped too: they would otherwise hold the ports and the books."""
    from retkoop_widgets.hub.launcher import HubProcess
    hub = HubProcess(settings).start()
    try:
        m = Session()
        assert m.login("tilleuls")[0] == 302
        status, _, _ = follow(m, "/user/tilleuls/voila/render/tableau_de_bord.ipynb", start=True)
        assert status == 200 and kernels_of_server("tilleuls")
    finally:
        hub.stop(timeout=0.01)  # no time for a clean stop: the hub is killed
    deadline = time.monotonic() + 30
    while leftovers(settings) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = leftovers(settings)
    for line in left:  # (what this test started: do not leave it running for the next ones)
        try:
            os.kill(int(line.split()[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert left == []
