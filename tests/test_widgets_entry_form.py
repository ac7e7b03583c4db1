"""Wiring of the Saisie forms (no browser): ipywidgets fire handlers synchronously on
``.value = …`` and ``Button.click()``. Real databases: SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX


@pytest.fixture
def dash(books):
    return Dashboard(books, COOP, EX)


def fill_occe(form, amounts=("150", "15", "9,50"), total="174,50"):
    form.libelle.value = "Facture OCCE"
    form.tiers.value = "OCCE 76"
    form.date.value = date(2025, 10, 3)
    form.amount.value = total
    form.mode.value = "chèque"
    form.rows[0].account.value = "6281 — Cotisation OCCE (adhésion)"
    form.rows[0].amount.value = amounts[0]
    form.add_row_btn.click()
    form.rows[1].account.value = "61681"
    form.rows[1].amount.value = amounts[1]
    form.add_row_btn.click()
    form.rows[2].account.value = "6181 — Documentation"
    form.rows[2].amount.value = amounts[2]


def test_occe_invoice_split_is_saved_with_the_allocated_piece(dash, books):
    form = dash.entry.form
    assert form.piece.value == "001"
    fill_occe(form)
    assert "zero" in form.reste.value and "0,00" in form.reste.value
    form.valider.click()
    assert "Écriture 001 enregistrée" in form.status.value
    [e] = books.entries(COOP, EX)
    assert e.piece == "001" and e.bank == -17450
    assert sorted((p.account, p.amount) for p in e.ventilation) == [("61681", 1500), ("6181", 950), ("6281", 15000)]
    # the form is ready for the next one, with a fresh number
    assert form.piece.value == "002" and form.libelle.value == "" and len(form.rows) == 1
    # the header follows
    assert "1 667,87" in dash.header.kpis.value


def test_unbalanced_split_is_refused_beside_the_ventilation_and_nothing_is_saved(dash, books):
    form = dash.entry.form
    fill_occe(form, amounts=("150", "15", "5"))
    assert "todo" in form.reste.value and "4,50" in form.reste.value
    form.valider.click()
    assert "il manque 4,50 €" in form.errors["ventilation"].value
    assert "rk-ko" in form.status.value
    assert books.entries(COOP, EX) == []
    assert form.libelle.value == "Facture OCCE"  # what was typed is kept


def test_errors_go_beside_their_fields(dash, books):
    form = dash.entry.form
    form.libelle.value = ""
    form.amount.value = "12,345"
    form.valider.click()
    assert "deux décimales" in form.errors["montant"].value or "décimale" in form.errors["montant"].value
    form.amount.value = "20"
    form.rows[0].account.value = "7560"  # a produit on an expense
    form.date.value = date(2024, 1, 1)
    form.valider.click()
    assert "libellé est obligatoire" in form.errors["libelle"].value
    assert "hors de l'exercice" in form.errors["date"].value
    assert "compte de produit" in form.errors["ventilation"].value
    assert books.entries(COOP, EX) == []


def test_untouched_piece_is_allocated_at_save_time_never_twice(dash, books):
    form = dash.entry.form
    assert form.piece.value == "001"
    fill_occe(form)
    # someone else saves while this form is open with "001" pre-filled
    other = books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 5), "Dons", bank_in=1000,
                                                    ventilation=(VentilationLine("7580", 1000),)))
    assert other.piece == "001"
    form.valider.click()
    assert "Écriture 002 enregistrée" in form.status.value
    assert sorted(e.piece for e in books.entries(COOP, EX)) == ["001", "002"]


def test_typed_piece_is_kept_and_a_taken_one_is_refused(dash, books):
    form = dash.entry.form
    fill_occe(form)
    form.piece.value = "F-12"
    form.valider.click()
    assert "Écriture F-12 enregistrée" in form.status.value
    fill_occe(form)
    form.piece.value = "F-12"
    form.valider.click()
    assert "déjà utilisée" in form.errors["piece"].value


def test_account_picker_offers_charges_for_an_expense_and_produits_for_a_receipt(dash):
    form = dash.entry.form
    assert form.rows[0].account.options and all(o.startswith("6") for o in form.rows[0].account.options)
    form.sens.value = "recette"
    assert all(o.startswith("7") for o in form.rows[0].account.options)
    assert any(o.startswith("7560") for o in form.rows[0].account.options)


def test_remove_row_and_reste_a_ventiler_live(dash):
    form = dash.entry.form
    form.amount.value = "100"
    form.rows[0].amount.value = "60"
    assert "40,00" in form.reste.value
    form.add_row_btn.click()
    form.rows[1].amount.value = "50"
    assert "over" in form.reste.value and "10,00" in form.reste.value
    form.rows[1].remove.click()
    assert len(form.rows) == 1 and "40,00" in form.reste.value


def test_known_libelle_offers_last_split_as_template(dash, books):
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 20), "Cotisation OCCE", tiers="OCCE 76", mode="chèque",
                                            cheque="4521001", bank_out=17450,
                                            ventilation=(VentilationLine("6281", 15000), VentilationLine("61681", 1500),
                                                         VentilationLine("6181", 950))))
    dash.ctx.changed()
    form = dash.entry.form
    form.libelle.value = "cotisation occe"
    [tpl] = form.template_box.children
    assert "6281" in tpl.description and "150,00" in tpl.description
    tpl.click()
    assert [r.account.value.split()[0] for r in form.rows] == ["6281", "61681", "6181"]
    assert form.amount.value == "174,50" and "zero" in form.reste.value
    form.date.value = date(2026, 9 - 8, 10)
    form.valider.click()
    assert "Écriture 002 enregistrée" in form.status.value


def test_cheque_mode_prefills_next_cheque_and_cash_is_green_side(dash, books):
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 20), "Livres", mode="chèque", cheque="4521009",
                                            bank_out=1000, ventilation=(VentilationLine("6181", 1000),)))
    dash.ctx.changed()
    form = dash.entry.form
    form.mode.value = "chèque"
    assert form.cheque.value == "4521010"
    form.mode.value = "espèces"
    assert form.treso.value == "caisse" and form.cheque.value == ""


def test_enter_in_a_field_validates(dash, books):
    form = dash.entry.form
    fill_occe(form)
    form.amount._handle_msg({"content": {"data": {"method": "custom", "content": {"event": "submit"}}}}) \
        if hasattr(form.amount, "_handle_msg") else None
    if not books.entries(COOP, EX):  # fall back to the registered submit callbacks
        form.amount._submission_callbacks(form.amount)
    assert len(books.entries(COOP, EX)) == 1


def test_edit_reopens_the_form_and_a_stale_edit_shows_the_conflict(dash, books):
    e = books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 20), "Livres", tiers="Librairie", mode="chèque",
                                                cheque="100", bank_out=1000, ventilation=(VentilationLine("6181", 1000),)))
    dash.ctx.changed()
    dash.open_entry(dash.ctx.entry_by_id(e.id))
    form = dash.entry.form
    assert dash.tabs.selected_index == 0 and form.editing[0] == e.id
    assert form.libelle.value == "Livres" and form.amount.value == "10,00" and form.piece.value == e.piece
    form.libelle.value = "Livres de prix"
    form.valider.click()
    assert "modifiée" in form.status.value
    assert books.entry(e.id).libelle == "Livres de prix"
    # stale: another session changes it after the form was opened
    dash.open_entry(dash.ctx.entry_by_id(e.id))
    fresh = books.entry(e.id)
    books.update_entry(e.id, fresh.version, fresh.to_draft().__class__(**{**fresh.to_draft().__dict__, "libelle": "Autre"}))
    form.libelle.value = "Mon changement"
    form.valider.click()
    assert "modifiée par" in form.status.value and "rechargez" in form.status.value
    assert books.entry(e.id).libelle == "Autre"


def test_unexpected_error_shows_a_generic_french_message(dash, books, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("connexion postgresql://user:secret@db/x refusée")
    monkeypatch.setattr(books, "record_entry", boom)
    form = dash.entry.form
    fill_occe(form)
    form.valider.click()
    assert "erreur inattendue" in form.status.value
    assert "secret" not in form.status.value and "Traceback" not in form.status.value


def test_transfer_form_moves_money_without_ventilation(dash, books):
    dash.entry.mode.value = "transfer"
    t = dash.entry.transfer
    assert dash.entry.body.children == (t.box,)
    t.kind.value = "depot"
    t.date.value = date(2025, 10, 1)
    t.amount.value = "50"
    t.valider.click()
    assert "Virement 001 enregistré" in t.status.value
    [e] = books.entries(COOP, EX)
    assert (e.bank, e.cash, e.ventilation) == (5000, -5000, ())
    t.kind.value = "regie_versee"
    assert "Régie" in t.libelle.value
    t.amount.value = "abc"
    t.valider.click()
    assert t.errors["montant"].value
