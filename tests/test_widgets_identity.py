"""identity.current_context: the one place that says who acts and which coop is shown."""
from __future__ import annotations

import pytest

from retkoop_widgets.domain.errors import Forbidden
from retkoop_widgets.identity import current_context
from retkoop_widgets.widgets.app import build_dashboard
from tests.conftest import COOP


def test_standalone_is_the_demo_mandataire():
    actor, coop = current_context(None, env={})
    assert (actor.login, actor.role, actor.coop, coop) == ("demo", "mandataire", "AD76-0421", "AD76-0421")


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
    assert "École de l'Eure" in page.children[1].children[0].value
