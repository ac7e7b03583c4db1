from datetime import date

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V

from conftest import COOP, EX


def test_occe_invoice_split_is_recorded_and_reported(books):
    e = books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 2), "Facture OCCE", mode="chèque",
                                                cheque="1234567", bank_out=17450,
                                                ventilation=(V("6281", 15000), V("61681", 1500), V("6181", 950))))
    assert e.piece == "001"
    crf = books.crf(COOP, EX)
    assert crf.total_charges == 17450
    assert crf.closing_bank == 184237 - 17450
