"""The « Historique » section, the teacher's notice in the header and the « Motif de la
correction » field (no browser: ipywidgets fire handlers synchronously). SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX

AD76 = Actor("ad76", "admin-ad", ad="AD76")
TEACHER = Actor("tilleuls", "mandataire", coop=COOP)


@pytest.fixture
def accounts(books):
    from retkoop_widgets.services.accounts import Accounts
    for login, role, kw in (("ad76", "admin-ad", {"ad": "AD76"}), ("tilleuls", "mandataire", {"coop": COOP})):
        Accounts(books.engine).add(login, role, password="un-secret-de-classe-42", **kw)
    return books


def draft(amount=1234, libelle="Photos de classe"):
    return EntryDraft(date(2026, 3, 4), libelle, mode="chèque", bank_out=amount, ventilation=(V("6064", amount),))


def test_the_history_section_lists_changes_newest_first_with_their_reason(accounts):
    books = accounts
    teacher = books.as_user(TEACHER)
    e = teacher.record_entry(COOP, EX, draft())
    books.as_user(AD76).because("ticket relu avec la mandataire").update_entry(e.id, e.version, draft(2100))
    dash = Dashboard(teacher, COOP, EX)
    titles = [dash.tabs.get_title(i) for i in range(len(dash.tabs.children))]
    assert titles[-1] == "Historique"
    dash.tabs.selected_index = len(titles) - 1
    sec = dash.history
    html = sec.table.value
    assert html.index("A modifié la pièce 001") < html.index("A saisi la pièce 001")  # newest first
    assert "ad76 (AD76)" in html and "ticket relu avec la mandataire" in html
    assert "montant : 12,34 € → 21,00 €" in html and "rk-hist-staff" in html
    assert sec.scope.value == EX and sec.more.disabled
    sec.since.text.value = "16/09/2026"
    sec.show_btn.click()
    assert "Aucune modification depuis le 16/09/2026" in sec.table.value
    sec.since.text.value = "31/02/2026"
    sec.show_btn.click()
    assert "n'existe pas" in sec.status.value
    sec.since.text.value = ""
    sec.scope.value = ""  # every exercice: the coop's creation too
    assert "A créé la coopérative AD76-0421" in sec.table.value


def test_the_history_section_pages(accounts, monkeypatch):
    from retkoop_widgets.services import history as hist
    monkeypatch.setattr(hist, "PAGE", 2)
    teacher = accounts.as_user(TEACHER)
    for i in range(3):
        teacher.record_entry(COOP, EX, draft(100 + i, f"Achat {i}"))
    dash = Dashboard(teacher, COOP, EX)
    sec = dash.history
    sec.refresh()
    assert sec.table.value.count("data-audit=") == 2
    assert not sec.more.disabled
    sec.more.click()
    sec.more.click()
    assert "A ouvert l'exercice 2025-2026" in sec.table.value and sec.more.disabled


def test_the_reason_field_is_asked_of_the_ad_only_and_kept_when_refused(accounts):
    books = accounts
    assert Dashboard(books.as_user(TEACHER), COOP, EX).entry.form.reason.box.layout.display == "none"
    dash = Dashboard(books.as_user(AD76), COOP, EX)
    form = dash.entry.form
    assert form.reason.box.layout.display is None
    assert "Motif de la correction" in form.reason.box.children[0].value
    form.libelle.value = "Photos de classe"
    form.amount.value = "12,34"
    form.rows[0].account.value = "6064"
    form.rows[0].amount.value = "12,34"
    form.valider.click()
    assert "indiquez le motif de la correction" in form.errors["motif"].value.lower()
    assert books.entries(COOP, EX) == [] and form.libelle.value == "Photos de classe"
    form.reason.text.value = "saisie oubliée, ticket transmis par la mandataire"
    form.amount.value = "abc"
    form.valider.click()  # refused for another reason: the reason stays
    assert form.reason.text.value == "saisie oubliée, ticket transmis par la mandataire"
    form.amount.value = "12,34"
    form.valider.click()
    assert "Écriture 001 enregistrée" in form.status.value and form.reason.text.value == ""
    assert books.audit_log(COOP, limit=1)[0]["reason"] == "saisie oubliée, ticket transmis par la mandataire"
    transfer = dash.entry.transfer
    assert transfer.reason.box.layout.display is None
    transfer.amount.value = "20"
    transfer.valider.click()
    assert "motif" in transfer.errors["motif"].value


def test_the_teacher_is_told_at_load_and_while_the_page_is_open(accounts):
    books = accounts
    teacher, ad = books.as_user(TEACHER), books.as_user(AD76)
    e = teacher.record_entry(COOP, EX, draft())
    dash = Dashboard(teacher, COOP, EX)
    assert dash.header.notice_box.layout.display == "none"
    ad.because("montant du ticket mal recopié").update_entry(e.id, e.version, draft(2100))
    assert "1 830,03" in dash.header.kpis.value  # 1 842,37 − 12,34
    dash.live.tick()  # the live watcher: the books changed, the balances and the notice read again
    assert dash.header.notice_box.layout.display is None
    assert "1 821,37" in dash.header.kpis.value  # the balances read again: 1 842,37 − 21,00
    text = dash.header.notice.value
    assert "L&#x27;AD76 a modifié la pièce 001" in text or "L'AD76 a modifié la pièce 001" in text
    assert "motif montant du ticket mal recopié" in text and "12,34 € → 21,00 €" in text
    # at next load, still there until acknowledged
    again = Dashboard(teacher, COOP, EX)
    assert "a modifié la pièce 001" in again.header.notice.value
    assert dash.header.notice_box in dash.root.children[1].children  # under the header bar
    again.header.notice_ok.click()
    assert again.header.notice_box.layout.display == "none"
    assert Dashboard(teacher, COOP, EX).header.notice_box.layout.display == "none"
    # the AD is never shown a notice
    assert Dashboard(ad, COOP, EX).header.notice_box.layout.display == "none"


def test_the_ads_reason_typed_once_in_the_header_carries_every_sections_change(books):
    """Review finding: only the Saisie form asked the AD's reason, so pointing, a cash count,
    a subsidy… from the AD's dashboard were refused. One « motif » in the header, shown to
    those who owe one, and every section's change carries it."""
    from datetime import date

    from retkoop_widgets.domain.actor import Actor
    from retkoop_widgets.widgets.app import Dashboard
    teacher = Dashboard(books.as_user(Actor("tilleuls", "mandataire", coop="AD76-0421")), "AD76-0421", "2025-2026")
    assert teacher.header.reason_box.layout.display == "none"
    ad = Dashboard(books.as_user(Actor("ad76", "admin-ad", ad="AD76")), "AD76-0421", "2025-2026")
    assert ad.header.reason_box.layout.display is None
    with pytest.raises(Exception, match="motif"):
        ad.ctx.books.record_cash_count("AD76-0421", "2025-2026", date(2026, 8, 31), {1000: 1})
    ad.header.reason.value = "  arrêté recopié de la feuille papier  "
    ad.ctx.books.record_cash_count("AD76-0421", "2025-2026", date(2026, 8, 31), {1000: 1})
    assert books.audit_log("AD76-0421", limit=1)[0]["reason"] == "arrêté recopié de la feuille papier"
