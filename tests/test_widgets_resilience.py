"""The dashboard forgives slips (no browser; SQLite and PostgreSQL): a double click records
one entry, accounts can be typed as words, dates as people write them, and a message
disappears with what it spoke of."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from retkoop_widgets.domain.dates import parse_date
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.domain.errors import ValidationError
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def dash(books):
    return Dashboard(books, COOP, EX)


def fill(form, libelle="Papeterie", amount="12,40", account="6064"):
    form.libelle.value = libelle
    form.amount.value = amount
    form.date.value = date(2025, 10, 2)
    form.rows[0].account.value = account


def test_a_double_click_on_valider_records_one_entry_and_no_error(dash, books):
    form = dash.entry.form
    fill(form)
    form.valider.click()
    form.valider.click()  # the second click of a double click reaches the kernel after the save
    assert [e.libelle for e in books.entries(COOP, EX)] == ["Papeterie"]
    assert "Écriture 001 enregistrée" in form.status.value and "rk-ko" not in form.status.value
    assert not any(e.value for e in form.errors.values())
    assert not form.valider.disabled
    # a new click after new typing is a new save
    fill(form, "Gommes", "3,10")
    form.valider.click()
    assert sorted(e.libelle for e in books.entries(COOP, EX)) == ["Gommes", "Papeterie"]


@pytest.mark.parametrize("typed, code", [("cotisation", "6281"), ("Assurance", "61681"),
                                         ("fournitures", "6064"), ("6281 — Cotisation OCCE (adhésion)", "6281")])
def test_an_account_typed_as_words_of_its_label(dash, books, typed, code):
    form = dash.entry.form
    fill(form, account=typed)
    form.valider.click()
    [e] = books.entries(COOP, EX)
    assert [p.account for p in e.ventilation] == [code]


def test_an_unknown_or_ambiguous_word_is_refused_with_the_candidates(dash, books):
    form = dash.entry.form
    fill(form, account="cotisatoin")
    form.valider.click()
    msg = form.errors["ventilation"].value
    assert "aucun compte ne correspond à « cotisatoin »" in msg and "6281 Cotisation OCCE" in msg
    assert form.rows[0].account.value == "cotisatoin" and books.entries(COOP, EX) == []
    form.rows[0].account.value = "charges"  # 6580 and 6710 both say « charges »
    form.valider.click()
    assert "plusieurs comptes correspondent à « charges »" in form.errors["ventilation"].value
    assert books.entries(COOP, EX) == []


@pytest.mark.parametrize("typed, day", [("15/03/2026", date(2026, 3, 15)), ("15032026", date(2026, 3, 15)),
                                        ("15/03/26", date(2026, 3, 15)), ("5-3-2026", date(2026, 3, 5)),
                                        ("150326", date(2026, 3, 15)), ("2026-03-15", date(2026, 3, 15))])
def test_dates_as_people_type_them(typed, day):
    assert parse_date(typed) == day


@pytest.mark.parametrize("typed, message", [("31/02/2026", "le 31/02/2026 n'existe pas"),
                                            ("15/03/32026", "illisible"), ("", "la date est vide"),
                                            ("01/01/9999", "hors des années possibles")])
def test_impossible_dates_are_refused_by_name(typed, message):
    with pytest.raises(ValidationError) as e:
        parse_date(typed)
    assert message in str(e.value)


def test_an_impossible_date_stays_in_the_field(dash, books):
    form = dash.entry.form
    fill(form)
    form.date.text.value = "31/02/2026"
    form.valider.click()
    assert "Le 31/02/2026 n'existe pas" in form.errors["date"].value
    assert form.date.text.value == "31/02/2026" and books.entries(COOP, EX) == []


def _upload(w, name, content):
    w.value = ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
                "last_modified": datetime.now(timezone.utc)},)


def test_a_message_goes_with_what_it_spoke_of(dash, books):
    form = dash.entry.form
    fill(form)
    form.valider.click()
    fill(form, "Gommes", "3,10")
    form.valider.click()
    dash.tabs.selected_index = 4  # Pièces justificatives
    p = dash.attachments
    first, second = sorted(books.entries(COOP, EX), key=lambda e: e.piece)
    p.entry.value = first.id
    _upload(p.upload, "facture.pdf", PDF)
    assert f"joint à la pièce {first.piece}" in p.status.value
    p.entry.value = second.id  # another pièce: the « ✔ joint » was about the first one
    assert p.status.value == ""
    _upload(p.upload, "ticket.pdf", PDF)
    assert f"joint à la pièce {second.piece}" in p.status.value
    dash.tabs.selected_index = 1  # another section
    dash.tabs.selected_index = 4
    assert p.status.value == ""


def test_the_confirmation_warns_of_cash_below_zero_a_duplicate_and_a_used_cheque(dash, books):
    form = dash.entry.form
    fill(form, "Sortie au musée", "88,40")  # 63,50 € in the cash box
    form.treso.value = "caisse"
    form.valider.click()
    status = form.status.value
    assert "Écriture 001 enregistrée" in status
    assert "La caisse passerait à -24,90 € le 02/10/2025 : vérifiez la date ou le montant" in status
    fill(form, "Sortie au musée", "88,40")
    form.treso.value = "caisse"
    form.valider.click()
    assert "Doublon possible avec la pièce 001 du 02/10/2025" in form.status.value
    fill(form, "Facture librairie", "30,00")
    form.mode.value = "chèque"
    form.cheque.value = "4521001"
    form.valider.click()
    assert "rk-warn" not in form.status.value  # nothing to look at: no warning box
    fill(form, "Facture papeterie", "12,00")
    form.mode.value = "chèque"
    form.cheque.value = "4521001"
    form.valider.click()
    assert "Le chèque n° 4521001 est déjà celui de la pièce 003" in form.status.value
    assert len(books.entries(COOP, EX)) == 4  # warnings, not refusals


def test_deleting_an_entry_says_what_it_touches_before_the_confirmation(dash, books):
    e = books.record_entry(COOP, EX, EntryDraft(date(2025, 11, 6), "Subvention mairie", mode="virement",
                                                bank_in=60000, ventilation=(VentilationLine("7410", 60000),)))
    books.point([e.id], date(2025, 11, 30))
    books.add_subsidy(COOP, EX, "Mairie de Rouen", "commune", "Classe de mer", 60000, date(2025, 11, 6),
                      entry_piece=e.piece)
    books.attach(e.id, "notification.pdf", PDF)
    dash.ctx.changed("entries")
    dash.tabs.selected_index = 1
    c = dash.cahier
    c.pick.value = e.id
    c.del_btn.click()
    question = c.confirm.children[0].children[0].value
    assert "est pointée sur le relevé du 30/11/2025" in question
    assert "a 1 pièce justificative (gardée dans l'historique)" in question
    assert "est liée à la subvention « Mairie de Rouen — Classe de mer » (le lien sera retiré)" in question
    assert books.entry(e.id)  # nothing deleted before the confirmation


def test_a_receipt_can_be_removed_with_confirmation_and_names_are_clean(dash, books):
    e = books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 2), "Papeterie", mode="carte", bank_out=1240,
                                                ventilation=(VentilationLine("6064", 1240),)))
    books.attach(e.id, "../../etc/\x00facture\r\n.pdf", PDF)
    [a] = books.attachments(COOP, EX)[e.id]
    assert a["filename"] == "facture.pdf"
    dash.ctx.changed("entries")
    dash.tabs.selected_index = 4
    p = dash.attachments
    p.entry.value = e.id
    [remove] = p.removals.children
    remove.click()
    assert "Retirer « facture.pdf » de la pièce 001 ?" in p.removals.children[0].children[0].value
    assert books.attachments(COOP, EX).get(e.id)  # nothing removed before the confirmation
    p.removals.children[0].children[1].click()  # « Oui, retirer »
    assert books.attachments(COOP, EX).get(e.id) is None
    assert "facture.pdf retiré de la pièce 001" in p.status.value
    assert [r["action"] for r in books.audit_log(COOP)][:2] == ["detach", "attach"]


def test_a_file_over_the_limit_is_refused_naming_its_size(dash, books):
    e = books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 2), "Papeterie", mode="carte", bank_out=1240,
                                                ventilation=(VentilationLine("6064", 1240),)))
    dash.ctx.changed("entries")
    dash.tabs.selected_index = 4
    p = dash.attachments
    p.entry.value = e.id
    _upload(p.upload, "scan.pdf", b"%PDF-" + b"0" * (12 * 1024 * 1024))
    assert "« scan.pdf » pèse 12,0 Mo : la limite est de 10 Mo" in p.status.value
    assert "10 Mo au plus par fichier" in p.root.children[0].children[1].children[2].value


def test_an_impossible_date_is_refused_by_name_in_every_section_and_points_nothing(dash, books):
    e = books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 2), "Papeterie", mode="carte", bank_out=1240,
                                                ventilation=(VentilationLine("6064", 1240),)))
    dash.ctx.changed("entries")
    dash.tabs.selected_index = 1
    c = dash.cahier
    c.session_btn.value = True  # a pointage session: statement of « 31/11/2025 »
    s = c.session
    s.date.text.value = "31/11/2025"
    for cb, _e in s.checks:
        cb.value = True
    s.valider.click()
    assert "31/11/2025 n'existe pas" in s.status.value
    assert not books.entry(e.id).pointed  # nothing pointed without a date
    dash.tabs.selected_index = 3  # Subventions
    sub = dash.subsidies
    sub.grantor.value, sub.object.value, sub.amount.value = "Mairie", "Classe de mer", "100"
    sub.date.text.value = "31/11/2025"
    sub.save.click()
    assert "31/11/2025 n'existe pas" in sub.status.value + "".join(x.value for x in sub.errors.values())
    assert books.subsidies(COOP, EX) == []
    dash.ctx.changed("entries")  # a refresh keeps what was typed
    dash.tabs.selected_index = 1
    dash.tabs.selected_index = 3
    assert sub.date.text.value == "31/11/2025"
    dash.tabs.selected_index = 2  # Caisse
    k = dash.cash
    k.date.text.value = "31/11/2025"
    k.save.click()
    assert "31/11/2025 n'existe pas" in k.status.value and books.cash_counts(COOP, EX) == []


def test_a_pdf_asked_before_a_change_is_never_offered_after_it(dash, books):
    """The PDF renders off the kernel's loop; if the books change (or another exercice is
    shown) before it is done, its result is dropped instead of offered under the new state."""
    import asyncio
    import time
    dash.tabs.selected_index = 6  # Exports
    x = dash.exports

    def slow_pdf(target):
        time.sleep(0.3)
        return b"%PDF-1.4 " + target.exercice.encode()
    x.crf.make = slow_pdf

    async def click_then(change):
        x.crf.run()
        assert x.crf.btn.disabled
        await asyncio.sleep(0.05)
        if change:
            change()
        for _ in range(40):
            await asyncio.sleep(0.05)
            if not x.crf.btn.disabled:
                break

    asyncio.run(click_then(lambda: dash.ctx.changed("entries")))  # an entry saved meanwhile
    assert x.crf.link.value == "" and not x.crf.btn.disabled
    asyncio.run(click_then(None))
    assert 'download="CRF_AD76-0421_2025-2026.pdf"' in x.crf.link.value


def test_the_dashboards_crf_counts_earlier_years_unpaid_cheques_as_the_books_do(books):
    """An August cheque not yet cashed when 2025-2026 closes: the new year's Bilan counts it
    among the lines not on the statement, and expects the same statement balance as the CRF."""
    books.record_entry(COOP, EX, EntryDraft(date(2026, 8, 25), "Fournitures", mode="chèque", cheque="4521045",
                                            bank_out=4500, ventilation=(VentilationLine("6064", 4500),)))
    books.close_exercice(COOP, EX)
    d = Dashboard(books, COOP, "2026-2027")
    assert d.ctx.crf().statement_balance == books.crf(COOP, "2026-2027").statement_balance
    assert [e.cheque for e in d.ctx.crf().outstanding_previous] == ["4521045"]
    d.tabs.selected_index = 5
    assert "(1 ligne(s) non pointée(s))" in d.summary.summary.value
