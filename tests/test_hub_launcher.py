"""``retkoop hub`` pieces that need no running server: demo accounts, settings, the lock's
route gate, the CLI wiring."""
from __future__ import annotations

import re
from pathlib import Path

from retkoop_widgets.hub.launcher import DEMO_ACCOUNTS, DEMO_PASSWORD, HubSettings, create_demo, prepare_database
from retkoop_widgets.hub.lockdown import gate_pattern
from retkoop_widgets.services import Books
from retkoop_widgets.services.accounts import Accounts


def test_demo_accounts_are_created_documented_and_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    s = HubSettings(db_url=url, data_dir=tmp_path / "hub")
    prepare_database(s)
    rows = create_demo(s)
    assert [r[0] for r in rows] == [a[0] for a in DEMO_ACCOUNTS]
    acc = Accounts(url)
    for login, role, *_ in DEMO_ACCOUNTS:
        r = acc.verify_login(login, DEMO_PASSWORD)
        assert r.ok and r.profile.role == role and not r.profile.must_change_password
    assert "AD76-0421" in {c["code"] for c in Books(url).coops()}
    doc = (Path(__file__).resolve().parents[1] / "docs" / "deploy.md").read_text()
    assert DEMO_PASSWORD in doc and all(f"`{a[0]}`" in doc for a in DEMO_ACCOUNTS)
    assert create_demo(s) == rows  # a second start does not fail nor duplicate


def test_settings_environment_for_the_hub_config(tmp_path):
    s = HubSettings(db_url="sqlite:///x", port=18000, data_dir=tmp_path, server_ports=(18010, 18019))
    env = s.env()
    assert env["RETKOOP_HUB_PORT"] == "18000" and env["RETKOOP_HUB_SERVER_PORTS"] == "18010-18019"
    assert env["RETKOOP_DB_URL"] == "sqlite:///x" and env["RETKOOP_HUB_DATA_DIR"] == str(tmp_path)


def test_gate_refuses_every_voila_route_but_the_allowed_dashboards():
    rx = re.compile(gate_pattern("/user/tilleuls/", ["tableau_de_bord.ipynb"]))
    refused = ["/user/tilleuls/voila", "/user/tilleuls/voila/", "/user/tilleuls/voila/tree",
               "/user/tilleuls/voila/tree/formation", "/user/tilleuls/voila/files/x.csv",
               "/user/tilleuls/voila/api/contents/", "/user/tilleuls/voila/render/ad.ipynb",
               "/user/tilleuls/voila/render/formation/tableau_de_bord.ipynb",
               "/user/tilleuls/voila/render/tableau_de_bord.ipynb/../ad.ipynb",
               "/user/tilleuls/voila/render/%2E%2E/ad.ipynb"]
    allowed = ["/user/tilleuls/voila/render/tableau_de_bord.ipynb", "/user/tilleuls/voila/static/voila.js",
               "/user/tilleuls/voila/templates/lab/static/x.css", "/user/tilleuls/api/kernels/abc/channels"]
    assert all(rx.match(p) for p in refused), [p for p in refused if not rx.match(p)]
    assert not any(rx.match(p) for p in allowed), [p for p in allowed if rx.match(p)]
    nothing = re.compile(gate_pattern("/user/x/", []))
    assert nothing.match("/user/x/voila/render/tableau_de_bord.ipynb")


def test_cli_registers_hub_commands():
    from retkoop_widgets import cli
    p = cli.build_parser()
    a = p.parse_args(["hub", "--port", "18000", "--demo"])
    assert a.port == 18000 and a.demo and a.func.__name__ == "cmd_hub"
    assert p.parse_args(["backup", "--keep", "3"]).keep == 3
    assert p.parse_args(["user", "add", "x", "--role", "analyste"]).role == "analyste"
