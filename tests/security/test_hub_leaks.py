"""Finding 5 (nothing leaks): a mandataire's own server answers its error pages in French,
without the server's API token (jupyter_server writes it into every page), and a widget
control message without version metadata gets no traceback, no server path. Real hub, the
mandataire's own cookies, the kernel websocket their dashboard page uses."""
from __future__ import annotations

import asyncio
import json
import re
import uuid

import pytest

from hubkit import (BASE, PORT, Session, follow, hub_pid_of_server, running_platform)
pytestmark = [pytest.mark.slow, pytest.mark.security]
DASHBOARD = "/user/tilleuls/voila/render/tableau_de_bord.ipynb"
# what a leak looks like: Python's traceback, a source path, the English stock pages
LEAKS = re.compile(r"Traceback|File \"|site-packages|/work/|/root/|\.py\b|Not Found|Forbidden|Jupyter Server")


@pytest.fixture(scope="module")
def platform():
    with running_platform("retkoop-sec-lea-", accounts=[("tilleuls", "mandataire", "AD76-0421")]) as hub:
        yield hub


@pytest.fixture(scope="module")
def mandataire(platform):
    s = Session()
    assert s.login("tilleuls")[0] == 302
    status, body, _ = follow(s, DASHBOARD, start=True)
    assert status == 200 and "tilleuls AD76-0421" in body
    return s, body


def test_server_error_pages_are_french_and_carry_no_token(mandataire):
    import psutil
    s, _ = mandataire
    token = psutil.Process(hub_pid_of_server("tilleuls")).environ()["JUPYTERHUB_API_TOKEN"]
    for path, status, title in (("/user/tilleuls/nulle-part", 404, "Page introuvable"),
                                ("/user/tilleuls/voila/render/secret.ipynb", 403, "Accès refusé")):
        got, body, _ = s.request("GET", path)
        assert got == status, (path, got)
        assert token not in body, path
        assert f"<h1>{title}</h1>" in body, body[:500]
        assert not LEAKS.search(body), (path, LEAKS.search(body).group(0))


def test_widget_control_comm_without_version_answers_no_traceback(mandataire):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    s, page = mandataire
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in s.jar)

    async def talk() -> list[dict]:
        ws = await websocket_connect(HTTPRequest(
            f"ws://127.0.0.1:{PORT}/user/tilleuls/api/kernels/{kernel}/channels",
            headers={"Cookie": cookie, "Origin": BASE}, connect_timeout=60))
        session = uuid.uuid4().hex

        def send(kind, content, metadata=None):
            ws.write_message(json.dumps({
                "header": {"msg_id": uuid.uuid4().hex, "msg_type": kind, "username": "tilleuls",
                           "session": session, "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": metadata or {}, "channel": "shell", "buffers": [],
                "content": content}))
        send("comm_open", {"comm_id": uuid.uuid4().hex, "target_name": "jupyter.widget.control", "data": {}})
        send("comm_info_request", {})
        got = []
        replied = False
        while True:  # everything the kernel says until it has answered and gone idle again
            try:
                raw = await asyncio.wait_for(ws.read_message(), 5 if replied else 60)
            except asyncio.TimeoutError:
                break
            if raw is None:
                break
            msg = json.loads(raw)
            got.append(msg)
            replied = replied or msg["header"]["msg_type"] == "comm_info_reply"
        ws.close()
        return got

    messages = asyncio.run(talk())
    assert any(m["header"]["msg_type"] == "comm_info_reply" for m in messages)  # the socket works
    text = json.dumps([m.get("content") for m in messages])
    assert not LEAKS.search(text), text[max(0, LEAKS.search(text).start() - 300):LEAKS.search(text).start() + 300]
