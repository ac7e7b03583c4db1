"""identity.current_context: the one place that says who acts and which coop is shown."""
from __future__ import annotations

import pytest

from retkoop_widgets.domain.errors import Forbidden
from retkoop_widgets.identity import current_context
from retkoop_widgets.widgets.app import build_dashboard
from tests.conftest import COOP


def test_no_identity_is_refused_not_the_demo_mandataire():
    """Fail closed: a kernel started without the hub's identity (a misconfigured server, a
    notebook opened by hand) does not act as the demo mandataire of AD76-0421."""
    for env in ({}, {"RETKOOP_USER": "  "}, {"RETKOOP_DEMO": "0"}, {"RETKOOP_COOP": "AD76-0421"}):
        with pytest.raises(Forbidden, match="aucune identité .* retkoop demo"):
            current_context(None, env=env)


def test_demo_flag_gives_the_demo_mandataire():
    actor, coop = current_context(None, env={"RETKOOP_DEMO": "1"})
    assert (actor.login, actor.role, actor.coop, coop) == ("demo", "mandataire", "AD76-0421", "AD76-0421")


def test_demo_flag_is_ignored_inside_a_jupyterhub_server():
    with pytest.raises(Forbidden, match="aucune identité"):
        current_context(None, env={"RETKOOP_DEMO": "1", "JUPYTERHUB_USER": "tilleuls"})


def test_dashboard_without_identity_shows_a_french_refusal_and_no_data(books, monkeypatch):
    for name in ("RETKOOP_USER", "RETKOOP_ROLE", "RETKOOP_COOP", "RETKOOP_AD", "RETKOOP_DEMO", "QUERY_STRING"):
        monkeypatch.delenv(name, raising=False)
    page = build_dashboard(books)
    assert "aucune identité" in page.value and "retkoop demo" in page.value
    assert "Tilleuls" not in page.value and "AD76-0421" not in page.value
    assert not getattr(page, "children", None)
    monkeypatch.setenv("RETKOOP_DEMO", "1")  # what `retkoop demo` sets: the demo coop's books
    page = build_dashboard(books)
    assert "École des Tilleuls" in page.children[1].children[0].children[0].value  # header → its bar → the title


def test_hub_mandataire_ignores_the_query_string():
    actor, coop = current_context(None, env={"RETKOOP_USER": "mme.leroy", "RETKOOP_ROLE": "mandataire",
                                             "RETKOOP_COOP": "ad76-0500", "QUERY_STRING": "coop=AD76-0421"})
    assert (actor.login, coop) == ("mme.leroy", "AD76-0500")


def test_ad_staff_choose_the_coop_in_the_query_string():
    actor, coop = current_context(None, env={"RETKOOP_USER": "ad76", "RETKOOP_ROLE": "admin-ad",
                                             "RETKOOP_AD": "AD76", "QUERY_STRING": "coop=AD76-0421&x=1"})
    assert (actor.role, actor.ad, coop) == ("admin-ad", "AD76", "AD76-0421")
    with pytest.raises(Forbidden, match=r"\?coop="):
        current_context(None, env={"RETKOOP_USER": "f", "RETKOOP_ROLE": "formateur"})
    with pytest.raises(Forbidden, match="inconnu"):
        current_context(None, env={"RETKOOP_USER": "x", "RETKOOP_ROLE": "pirate"})


def test_books_refuse_another_coop_and_the_page_says_so_in_french(books, monkeypatch):
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0001", "École de l'Eure", "AD27")
    monkeypatch.setenv("RETKOOP_USER", "ad27")
    monkeypatch.setenv("RETKOOP_ROLE", "admin-ad")
    monkeypatch.setenv("RETKOOP_AD", "AD27")
    monkeypatch.setenv("QUERY_STRING", f"coop={COOP}")
    page = build_dashboard(books)
    assert "n'a pas le droit de consulter la coopérative AD76-0421" in page.value
    monkeypatch.setenv("QUERY_STRING", "")
    page = build_dashboard(books)  # no ?coop=: the first coop this user may read
    assert "École de l'Eure (AD27-0001) n'a encore aucun exercice" in page.value
    books.open_exercice("AD27-0001", "2025-2026")
    page = build_dashboard(books)
    assert "École de l'Eure" in page.children[1].children[0].children[0].value  # header → its bar → the title


def test_trainer_view_in_a_hub_server_without_identity_refuses(monkeypatch):
    """The formateur notebook acts as the platform ("system") only on a trainer's own
    machine; in a JupyterHub server with no identity it refuses."""
    from retkoop_widgets.training.notebook import trainer_view
    for name in ("RETKOOP_USER", "RETKOOP_ROLE", "RETKOOP_COOP", "RETKOOP_AD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "formateur")
    with pytest.raises(Forbidden, match="aucune identité"):
        trainer_view("AD76")


@pytest.mark.browser
@pytest.mark.slow
def test_voila_without_identity_nor_demo_flag_shows_the_refusal(tmp_path, browser):
    """The real page (standalone Voilà, own port in 18900-18919, a seeded SQLite file) when
    Voilà was started without ``demo=True`` and nobody's identity: a French refusal, none
    of the demo coop's books."""
    import os
    import socket

    from retkoop_widgets import dashboard_server as ds
    from retkoop_widgets.devtools.chromium import new_page
    from retkoop_widgets.services import Books
    url = f"sqlite:///{tmp_path / 'retkoop.sqlite3'}"
    b = Books(url, "test")
    b.init_schema()
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop(COOP, "École des Tilleuls", "AD76")
    b.open_exercice(COOP, "2025-2026", 184237, 6350)
    b.engine.dispose()
    port = next(p for p in range(18900, 18920) if _free(socket, p))
    env = {k: v for k, v in os.environ.items() if k != "QUERY_STRING" and not k.startswith("RETKOOP_")}
    env["RETKOOP_DEMO"] = "1"  # inherited by mistake: start() without demo=True drops it
    proc = ds.start(url, port, env=env, quiet=True)
    try:
        ds.wait_ready(port, proc=proc)
        page = new_page(browser)
        page.set_default_timeout(90000)
        page.goto(f"http://127.0.0.1:{port}/", wait_until="commit")
        page.wait_for_selector(".rk-ko", timeout=90000)
        text = page.inner_text("body")
        assert "aucune identité" in text and "retkoop demo" in text
        assert "Tilleuls" not in text and "AD76-0421" not in text
        assert page.locator(".rk-valider").count() == 0
        page.context.close()
    finally:
        proc.terminate()
        proc.wait(15)


def _free(socket, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
