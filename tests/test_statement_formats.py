"""Bank statement formats besides CSV — OFX 1.x (SGML) and 2.x (XML), QIF, CFONB 120 —
recognised from their content, read into the same records, every malformed file refused
in French with its line; the balances a file prints checked against the book's pointed
balance, in the service (SQLite and PostgreSQL) and the dashboard's panel. Every file is
written here, in its format."""
from __future__ import annotations

import codecs
from datetime import date, datetime, timezone
from importlib import resources

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.domain.errors import ValidationError
from retkoop_widgets.domain.statement import Balance, BalanceCheck
from retkoop_widgets.io.statement import CFONB, CSV, OFX, QIF, detect_format, parse_statement
from retkoop_widgets.io.statement_cfonb import amount
from retkoop_widgets.services import statement as svc
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX


def problems_of(data) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        parse_statement(data)
    return [str(p) for p in exc.value.problems]


# -- writers: each format as a bank writes it ----------------------------------------------
def ofx1(transactions: list[dict], balance: tuple[str, str] | None = ("1852.69", "20261130"),
         charset: str = "1252") -> bytes:
    """An OFX 1.02 (SGML) file: no end tags on data elements, Windows-1252 by default."""
    head = ("OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
            f"CHARSET:{charset}\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n")
    body = ["<OFX>", "<SIGNONMSGSRSV1>", "<SONRS>", "<STATUS>", "<CODE>0", "<SEVERITY>INFO", "</STATUS>",
            "<DTSERVER>20261201", "<LANGUAGE>FRA", "</SONRS>", "</SIGNONMSGSRSV1>", "<BANKMSGSRSV1>",
            "<STMTTRNRS>", "<TRNUID>00000000", "<STATUS>", "<CODE>0", "<SEVERITY>INFO", "</STATUS>", "<STMTRS>",
            "<CURDEF>EUR", "<BANKACCTFROM>", "<BANKID>20041", "<BRANCHID>01005", "<ACCTID>0421076X020",
            "<ACCTTYPE>CHECKING", "</BANKACCTFROM>", "<BANKTRANLIST>", "<DTSTART>20261101", "<DTEND>20261130"]
    for i, t in enumerate(transactions):
        body += ["<STMTTRN>", f"<TRNTYPE>{t.get('type', 'OTHER')}", f"<DTPOSTED>{t['date']}",
                 f"<TRNAMT>{t['amount']}", f"<FITID>F{i}"]
        body += [f"<CHECKNUM>{t['checknum']}"] if "checknum" in t else []
        body += [f"<NAME>{t['name']}"] + ([f"<MEMO>{t['memo']}"] if "memo" in t else []) + ["</STMTTRN>"]
    body += ["</BANKTRANLIST>"]
    if balance:
        body += ["<LEDGERBAL>", f"<BALAMT>{balance[0]}", f"<DTASOF>{balance[1]}", "</LEDGERBAL>"]
    body += ["</STMTRS>", "</STMTTRNRS>", "</BANKMSGSRSV1>", "</OFX>"]
    return (head + "\r\n".join(body) + "\r\n").encode("cp1252" if charset == "1252" else "utf-8")


def ofx2(transactions: list[dict], balance: tuple[str, str] | None = ("1852.69", "20261130")) -> bytes:
    """An OFX 2.2 (XML) file, UTF-8, every element closed."""
    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
             '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>',
             "<OFX>",
             "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
             "<DTSERVER>20261201</DTSERVER><LANGUAGE>FRA</LANGUAGE></SONRS></SIGNONMSGSRSV1>",
             "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>",
             "<STMTRS><CURDEF>EUR</CURDEF><BANKACCTFROM><BANKID>20041</BANKID><ACCTID>0421076X020</ACCTID>"
             "<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>",
             "<BANKTRANLIST><DTSTART>20261101</DTSTART><DTEND>20261130</DTEND>"]
    for i, t in enumerate(transactions):
        lines += ["<STMTTRN>", f"<TRNTYPE>{t.get('type', 'OTHER')}</TRNTYPE>",
                  f"<DTPOSTED>{t['date']}</DTPOSTED>", f"<TRNAMT>{t['amount']}</TRNAMT>", f"<FITID>F{i}</FITID>"]
        lines += [f"<CHECKNUM>{t['checknum']}</CHECKNUM>"] if "checknum" in t else []
        lines += [f"<NAME>{t['name']}</NAME>", "</STMTTRN>"]
    lines += ["</BANKTRANLIST>"]
    if balance:
        lines += [f"<LEDGERBAL><BALAMT>{balance[0]}</BALAMT><DTASOF>{balance[1]}</DTASOF></LEDGERBAL>"]
    lines += ["</STMTRS></STMTTRNRS></BANKMSGSRSV1>", "</OFX>"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def qif(records: list[list[str]], kind: str = "Bank") -> bytes:
    out = [f"!Type:{kind}"]
    for r in records:
        out += r + ["^"]
    return ("\r\n".join(out) + "\r\n").encode("cp1252")


def cfonb_amount(cents: int, decimals: int = 2) -> str:
    digits = f"{abs(cents) * 10 ** decimals // 100:014d}"
    last = int(digits[-1])
    return digits[:-1] + ("{ABCDEFGHI" if cents >= 0 else "}JKLMNOPQR")[last]


def cfonb(code: str, day: date, cents: int = 0, libelle: str = "", *, op: str = "  ", ref: str = "",
          account: str = "0421076X020", currency: str = "EUR", qualifier: str = "", detail: str = "",
          raw_amount: str | None = None) -> str:
    """One 120-character CFONB record (columns as in ``io.statement_cfonb``)."""
    amt = raw_amount if raw_amount is not None else cfonb_amount(cents)
    d = f"{day:%d%m%y}"
    common = f"{code}20041    01005{currency}2 {account:<11}{op}{d}"
    if code == "05":
        rec = common + "     " + f"{qualifier:<3}" + f"{detail:<70}" + "  "
    else:
        rec = (common + "  " + (d if code == "04" else "      ") + f"{libelle:<31}" + "  " + "0000001" + "  "
               + amt + f"{ref:<16}")
    assert len(rec) == 120, (len(rec), rec)
    return rec


NOV = date(2026, 11, 30)


def cfonb_file(*records: str, sep: str = "\r\n") -> bytes:
    return (sep.join(records) + sep).encode("latin-1")


# -- detection -----------------------------------------------------------------------------
def test_each_format_is_recognised_from_its_content_whatever_the_name():
    cheque = {"date": "20261108", "amount": "-63,50", "name": "CHEQUE 4521010"}
    assert detect_format(ofx1([cheque]).decode("cp1252")) == OFX
    assert detect_format(ofx2([cheque]).decode("utf-8")) == OFX
    assert detect_format(qif([["D08/11/2026", "T-63,50"]]).decode("cp1252")) == QIF
    assert detect_format(cfonb_file(cfonb("01", date(2026, 10, 31), 100)).decode("latin-1")) == CFONB
    assert detect_format("Date;Libellé;Montant\n08/11/2026;x;-1,00\n") == CSV
    # a CSV whose first cell happens to start with 01 is still a CSV
    assert detect_format("0123;Date;Libellé;Montant\n") == CSV
    assert parse_statement(ofx2([cheque])).format == "OFX 2.x"
    assert parse_statement(ofx1([cheque])).format == "OFX 1.x"


# -- OFX -------------------------------------------------------------------------------------
def test_ofx1_sgml_windows_1252_lines_cheque_number_and_closing_balance():
    raw = ofx1([{"type": "CHECK", "date": "20261108", "amount": "-63,50", "checknum": "0004521010",
                 "name": "CHEQUE EMIS"},
                {"type": "CREDIT", "date": "20261110000000[+1:CET]", "amount": "4.12", "name": "INTÉRÊTS",
                 "memo": "LIVRET A"},
                {"type": "DEBIT", "date": "20261115", "amount": "-1234.5", "name": "CB LECLERC",
                 "memo": "CB LECLERC"}])
    st = parse_statement(raw)
    assert st.format == "OFX 1.x"
    assert [(ln.date, ln.libelle, ln.amount_cents) for ln in st.lines] == [
        (date(2026, 11, 8), "CHEQUE EMIS — chèque n° 0004521010", -6350),
        (date(2026, 11, 10), "INTÉRÊTS — LIVRET A", 412),  # the day as written, whatever the time zone
        (date(2026, 11, 15), "CB LECLERC", -123450)]
    assert [ln.line_no for ln in st.lines] == [40, 48, 56]  # the line of each <STMTTRN>
    assert st.closing == Balance(date(2026, 11, 30), 185269, "closing", 65) and st.opening is None


def test_ofx1_whose_bytes_are_utf8_despite_its_header_keeps_its_accents():
    raw = ofx1([{"date": "20261108", "amount": "-1.00", "name": "Chèque émis"}], charset="1252")
    utf8 = raw.decode("cp1252").encode("utf-8")
    assert parse_statement(utf8).lines[0].libelle == "Chèque émis"


def test_ofx2_xml_reads_the_same_records():
    st = parse_statement(ofx2([{"date": "20261108120000.000[-5:EST]", "amount": "-63.50", "name": "Chèque",
                                "checknum": "4521010"},
                               {"date": "20261120", "amount": "+20.00", "name": "VIR PARENTS"}]))
    assert st.format == "OFX 2.x" and st.encoding.replace("_", "-").lower() == "utf-8"
    assert [(ln.line_no, ln.date, ln.libelle, ln.amount_cents) for ln in st.lines] == [
        (8, date(2026, 11, 8), "Chèque — chèque n° 4521010", -6350), (16, date(2026, 11, 20), "VIR PARENTS", 2000)]
    assert st.closing.cents == 185269 and st.closing.day == NOV


@pytest.mark.parametrize("mutate, expected", [
    (lambda s: s.replace("<DTPOSTED>20261110", "<DTPOSTED>20261131"),
     ["ligne 49 : date <DTPOSTED> « 20261131 » illisible ou inexistante (attendu AAAAMMJJ, ex. 20261108)"]),
    (lambda s: s.replace("<TRNAMT>4.12", "<TRNAMT>4,125").replace("<TRNAMT>-63,50", "<TRNAMT>abc"),
     ["ligne 43 : montant <TRNAMT> « abc » n'est pas un montant (attendu ex. -63.50)",
      "ligne 50 : montant <TRNAMT> « 4,125 » a plus de deux décimales (les montants sont au centime)"]),
    (lambda s: s.replace("<TRNAMT>4.12", "<TRNAMT>0.00"),
     ["ligne 50 : montant <TRNAMT> « 0.00 » nul : une opération du relevé a un montant"]),
    (lambda s: s.replace("<TRNAMT>4.12\r\n", ""), ["ligne 47 : opération sans montant (<TRNAMT> manque)"]),
    (lambda s: s.replace("<FITID>F1\r\n", ""),
     ["ligne 47 : opération OFX invalide : élément obligatoire manquant ou valeur mal formée (<FITID>)"]),
    (lambda s: s.replace("</STMTTRN>", "</STMTTRX>", 1),
     ["ligne 46 : structure OFX invalide : </STMTTRX> ferme <STMTTRN> : une balise de fin manque ou est de trop"]),
    (lambda s: s[:s.index("</BANKTRANLIST>")],
     ["ligne 53 : fichier OFX incomplet : la balise de fin </OFX> manque (téléchargement interrompu ?)"]),
    (lambda s: s.replace("OFXHEADER:100", "OFXHEADER:1OO"),
     ["ligne 1 : en-tête OFX illisible (OFXHEADER, VERSION, CHARSET…) : le fichier est-il complet ?"]),
    (lambda s: s.replace("<CURDEF>EUR", "<CURDEF>USD"),
     ["ligne 29 : relevé en USD : le compte d'une coopérative est en euros"]),
])
def test_malformed_ofx_is_refused_in_french_with_its_line(mutate, expected):
    good = ofx1([{"date": "20261108", "amount": "-63,50", "name": "CHEQUE"},
                 {"date": "20261110", "amount": "4.12", "name": "INTERETS"}]).decode("cp1252")
    assert problems_of(mutate(good).encode("cp1252")) == expected


# -- QIF ---------------------------------------------------------------------------------------
def test_qif_french_dates_amounts_payee_memo_and_cheque_number():
    st = parse_statement(qif([["D08/11/2026", "T-63,50", "N4521010", "PCHEQUE", "MGoûter", "CX"],
                              ["D10/11/26", "T1 234,56", "PVIR MAIRIE", "LSubventions"],
                              ["D2026-11-12", "U-4.80", "PFRAIS", "NTXFR"]]))
    assert st.format == "QIF" and st.opening is None and st.closing is None
    assert [(ln.line_no, ln.date, ln.libelle, ln.amount_cents) for ln in st.lines] == [
        (2, date(2026, 11, 8), "CHEQUE — Goûter — chèque n° 4521010", -6350),
        (9, date(2026, 11, 10), "VIR MAIRIE", 123456),
        (14, date(2026, 11, 12), "FRAIS", -480)]


def test_malformed_qif_is_refused_in_french_with_its_line():
    raw = qif([["D31/11/2026", "T-1,00", "PX"], ["D01/11/2026", "T1,234.56", "PY"], ["D02/11/2026", "PZ"],
               ["D03/11/2026", "T0,00"]]) + b"D04/11/2026\r\nT-5,00\r\n"
    assert problems_of(raw) == [
        "ligne 2 : date « 31/11/2026 » illisible ou inexistante (attendu jj/mm/aaaa, ex. 08/11/2026)",
        "ligne 6 : Montant : « 1,234.56 » est ambigu — utilisez la virgule pour les centimes (ex. 1 234,56)",
        "ligne 10 : opération sans montant (ligne « T » attendue)",
        "ligne 13 : montant « 0,00 » nul : une opération du relevé a un montant",
        "ligne 16 : dernière opération non terminée par « ^ » : le fichier est-il complet ?"]
    assert problems_of(qif([["D01/11/2026", "T1,00"]], kind="Invst"))[0].startswith(
        "ligne 1 : section « !Type:Invst » : un relevé bancaire QIF est de type !Type:Bank")


# -- CFONB 120 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("field, decimals, cents", [
    ("0000000000635}", 2, -6350), ("0000000000041B", 2, 412), ("0000000018526I", 2, 185269),
    ("0000000000000{", 2, 0), ("0000000000006R", 0, -6900), ("0000000004123{", 3, 4123)])
def test_cfonb_amount_sign_in_the_last_character(field, decimals, cents):
    assert amount(field, decimals) == cents


@pytest.mark.parametrize("field", ["0000000000635X", "00000000006 5}", "", "0000000000635"])
def test_cfonb_amount_that_is_not_one(field):
    with pytest.raises(ValueError):
        amount(field, 2)


def _cfonb_statement() -> list[str]:
    return [cfonb("01", date(2026, 10, 31), 184237),
            cfonb("04", date(2026, 11, 8), -6350, "CHEQUE", op="01", ref="0004521010"),
            cfonb("04", date(2026, 11, 10), 25000, "REMISE CHEQUES"),
            cfonb("05", date(2026, 11, 10), qualifier="LIB", detail="PARTICIPATION SORTIE CM1"),
            cfonb("04", date(2026, 11, 15), -480, "FRAIS ENVOI CHEQUIER"),
            cfonb("07", NOV, 184237 - 6350 + 25000 - 480)]


def test_cfonb_movements_complements_cheque_reference_and_both_balances():
    st = parse_statement(cfonb_file(*_cfonb_statement()))
    assert st.format == "CFONB 120"
    assert [(ln.line_no, ln.date, ln.libelle, ln.amount_cents) for ln in st.lines] == [
        (2, date(2026, 11, 8), "CHEQUE — chèque n° 4521010", -6350),
        (3, date(2026, 11, 10), "REMISE CHEQUES PARTICIPATION SORTIE CM1", 25000),
        (5, date(2026, 11, 15), "FRAIS ENVOI CHEQUIER", -480)]
    assert st.opening == Balance(date(2026, 10, 31), 184237, "opening", 1)
    assert st.closing == Balance(NOV, 202407, "closing", 6)
    # records one after the other without line breaks (a file as some transfers deliver it)
    flat = parse_statement(cfonb_file(*_cfonb_statement(), sep=""))
    assert [ln.amount_cents for ln in flat.lines] == [-6350, 25000, -480] and flat.closing.cents == 202407
    # trailing blanks stripped by an editor are not a problem
    stripped = parse_statement(cfonb_file(*(r.rstrip() for r in _cfonb_statement()), sep="\n"))
    assert stripped.lines == st.lines


def test_malformed_cfonb_is_refused_in_french_with_its_line():
    recs = _cfonb_statement()
    bad = list(recs)
    bad[1] = bad[1][:90] + "0000000000635X" + bad[1][104:]
    bad[2] = bad[2][:34] + "311126" + bad[2][40:]
    bad[4] = "09" + bad[4][2:]
    msgs = problems_of(cfonb_file(*bad))
    assert msgs == [
        "ligne 2 : montant « 0000000000635X » illisible (colonnes 91–104 : chiffres, le dernier caractère portant "
        "le signe, ex. 0000000000635})",
        "ligne 3 : date « 311126 » illisible ou inexistante (colonnes 35–40, attendu JJMMAA)",
        "ligne 5 : code d'enregistrement « 09 » inconnu (attendu 01, 04, 05 ou 07)"]
    # a movement lost: the balances no longer add up
    assert problems_of(cfonb_file(*(recs[:4] + recs[5:]))) == [
        "ligne 5 : nouveau solde 2 024,07 € ≠ ancien solde 1 842,37 € (ligne 1) + mouvements +186,50 € = "
        "2 028,87 € : une opération manque ou est de trop"]
    assert problems_of(cfonb_file(*recs[:5])) == [
        "ligne 1 : relevé incomplet : pas de nouveau solde (07) après l'ancien solde : le fichier est-il complet ?"]
    assert problems_of(cfonb_file(*recs[1:])) == [
        "ligne 1 : mouvement (04) hors d'un relevé : il manque l'ancien solde (01) avant"]
    assert problems_of(cfonb_file(*recs, *recs[1:3])) == [
        "ligne 7 : mouvement (04) hors d'un relevé : il manque l'ancien solde (01) avant"]
    other = cfonb("04", date(2026, 11, 9), -100, "AUTRE", account="99999999999")
    assert "autre compte" in problems_of(cfonb_file(recs[0], other, *recs[1:]))[0]
    assert problems_of(cfonb_file(recs[0], recs[1] + "XX", *recs[2:]))[0] == (
        "ligne 2 : enregistrement de 122 caractères : le format CFONB en a 120")


# -- CSV balances and encodings --------------------------------------------------------------
def test_csv_balances_from_the_preamble_and_balance_rows():
    demo = parse_statement(resources.files("retkoop_widgets.data").joinpath("releve-demo.csv").read_bytes())
    assert demo.closing == Balance(date(2026, 8, 31), 185269, "closing", 6) and demo.opening is None
    st = parse_statement("Date;Libellé;Débit;Crédit\nAncien solde au 31/10/2026;;;1 842,37\n"
                         "08/11/2026;CHQ 4521010;63,50;\nNouveau solde au 30/11/2026;;;1 778,87\n")
    assert [ln.amount_cents for ln in st.lines] == [-6350]
    assert st.opening == Balance(date(2026, 10, 31), 184237, "opening", 2)
    assert st.closing == Balance(NOV, 177887, "closing", 4)
    # a « Solde » column of running balances is not a statement balance
    assert parse_statement("Date;Libellé;Montant;Solde\n08/11/2026;x;-1,00;99,00\n").closing is None


def test_utf16_without_bom_is_recognised():
    raw = "Date;Libellé;Montant\n08/07/2026;Frais;-1,00\n".encode("utf-16-le")
    assert not raw.startswith(codecs.BOM_UTF16_LE)
    st = parse_statement(raw)
    assert st.encoding == "utf-16" and st.lines[0].amount_cents == -100


def test_shared_text_decoding_policies():
    """``io.text_files.decode``: the statement's policy (UTF-8, else Windows-1252, UTF-16
    read) and a stricter one as the cahier's (UTF-8 only, UTF-16 refused)."""
    from retkoop_widgets.domain.errors import Location
    from retkoop_widgets.io.text_files import decode, header_key, line_of
    assert decode("\ufeffDate;x".encode("utf-8")).text == "Date;x"
    assert decode("Libellé".encode("cp1252")) == decode("Libellé".encode("cp1252"), encodings=("utf-8", "windows-1252"))
    assert decode("Libellé".encode("cp1252")).encoding == "windows-1252"
    with pytest.raises(ValidationError) as exc:
        decode("a\nLibellé".encode("cp1252"), encodings=("utf-8",), unreadable="pas en UTF-8")
    assert [str(p) for p in exc.value.problems] == ["ligne 2 : pas en UTF-8"]
    assert exc.value.problems[0].where.line == 2  # located in parts, not in a phrase
    for wide in ("Date;x\n".encode("utf-16"), "Date;x\n".encode("utf-16-be")):
        assert decode(wide).text == "Date;x\n"
        with pytest.raises(ValidationError, match="en UTF-16"):
            decode(wide, encodings=("utf-8",), refuse_utf16="le fichier est en UTF-16")
    assert header_key("\ufeffN° chèque") == "ncheque" and line_of(Location(12, piece="D014")) == 12


# -- balance check -----------------------------------------------------------------------------
def test_balance_check_texts():
    b = Balance(NOV, 185269, "closing", 7)
    assert BalanceCheck(b, 185269).text() == "relevé au 30/11 : 1 852,69 € ; livre pointé : 1 852,69 € ✔"
    assert BalanceCheck(b, 185749, 2).text() == ("relevé au 30/11 : 1 852,69 € ; livre pointé : 1 857,49 € "
                                                 "(avec les 2 lignes proposées) — écart -4,80 €")
    assert BalanceCheck(Balance(date(2026, 10, 31), 100, "opening"), 100, 0).text() == (
        "relevé, solde d'ouverture au 31/10 : 1,00 € ; livre pointé : 1,00 € ✔")
    assert "non comparé" in BalanceCheck(b, None).text() and BalanceCheck(b, None).gap is None


# -- service (SQLite and PostgreSQL) -------------------------------------------------------------
def _bank(day, libelle, cents, account, **kw):
    if cents > 0:
        return EntryDraft(day, libelle, bank_in=cents, ventilation=(VentilationLine(account, cents),), **kw)
    return EntryDraft(day, libelle, bank_out=-cents, ventilation=(VentilationLine(account, -cents),), **kw)


def _november(books):
    """Opening bank 1 842,37 €; a fee pointed on the October statement; in November a
    cheque of 63,50 € and a deposit of 250,00 €, not pointed."""
    rec = books.record_entry
    return {
        "oct": rec(COOP, EX, _bank(date(2025, 10, 20), "Frais", -1200, "6270", pointed=True,
                                   statement_date=date(2025, 10, 31))),
        "cheque": rec(COOP, EX, _bank(date(2025, 11, 3), "Goûter", -6350, "6064", mode="chèque", cheque="4521010")),
        "remise": rec(COOP, EX, _bank(date(2025, 11, 9), "Participation sortie", 25000, "7560")),
    }


def _nov_cfonb(fee: bool = True) -> bytes:
    recs = [cfonb("01", date(2025, 10, 31), 184237 - 1200),
            cfonb("04", date(2025, 11, 8), -6350, "CHEQUE", op="01", ref="0004521010"),
            cfonb("04", date(2025, 11, 10), 25000, "REMISE CHEQUES")]
    recs += [cfonb("04", date(2025, 11, 15), -480, "FRAIS ENVOI CHEQUIER")] if fee else []
    recs += [cfonb("07", date(2025, 11, 30), 184237 - 1200 - 6350 + 25000 - (480 if fee else 0))]
    return cfonb_file(*recs)


def test_cfonb_statement_proposes_checks_both_balances_and_points(books):
    e = _november(books)
    m = svc.propose(books, COOP, EX, _nov_cfonb())
    assert m.format == "CFONB 120"
    assert [(p.entry.id, p.reason) for p in m.pairs] == [(e["cheque"].id, "chèque n° 4521010"),
                                                         (e["remise"].id, "même montant, date proche")]
    assert [u.line.libelle for u in m.unmatched] == ["FRAIS ENVOI CHEQUIER"]
    opening, closing = m.checks
    assert opening.ok and opening.text() == ("relevé, solde d'ouverture au 31/10 : 1 830,37 € ; livre pointé : "
                                             "1 830,37 € ✔")
    # the fee is not in the cahier: the gap says how much is missing
    assert closing.gap == -480 and closing.proposed == 2
    assert closing.text() == ("relevé au 30/11 : 2 012,07 € ; livre pointé : 2 016,87 € (avec les 2 lignes "
                              "proposées) — écart -4,80 €")
    assert not books.entry(e["cheque"].id).pointed  # proposing writes nothing
    svc.apply(books, COOP, EX, [p.entry.id for p in m.pointable], date(2025, 11, 30))
    books.record_entry(COOP, EX, _bank(date(2025, 11, 15), "Frais envoi chéquier", -480, "6270"))
    again = svc.propose(books, COOP, EX, _nov_cfonb())
    assert len(again.already) == 2 and len(again.pairs) == 1
    assert [c.ok for c in again.checks] == [True, True] and again.checks[1].proposed == 1


def test_ofx_statement_without_gap_shows_the_tick(books):
    e = _november(books)
    raw = ofx2([{"date": "20251108", "amount": "-63.50", "name": "CHEQUE", "checknum": "4521010"},
                {"date": "20251110", "amount": "250.00", "name": "REMISE"}], balance=("2016.87", "20251130"))
    m = svc.propose(books, COOP, EX, raw)
    assert m.format == "OFX 2.x" and [p.entry.id for p in m.pairs] == [e["cheque"].id, e["remise"].id]
    [check] = m.checks
    assert check.ok and check.text() == ("relevé au 30/11 : 2 016,87 € ; livre pointé : 2 016,87 € (avec les 2 "
                                         "lignes proposées) ✔")


def test_a_qif_statement_goes_through_the_same_flow(books):
    e = _november(books)
    m = svc.propose(books, COOP, EX, qif([["D08/11/2025", "T-63,50", "N4521010", "PCHEQUE"]]))
    assert m.format == "QIF" and [p.entry.id for p in m.pairs] == [e["cheque"].id] and m.checks == ()
    assert svc.apply(books, COOP, EX, [e["cheque"].id], m.last_date) == 1


@pytest.mark.parametrize("raw", [
    _nov_cfonb()[:-124],  # the 07 record lost
    ofx1([{"date": "20251108", "amount": "-63,5O", "name": "CHEQUE"}]),
    qif([["D08/11/2025", "T-63,50"]])[:-3],
])
def test_a_malformed_file_points_nothing(books, raw):
    e = _november(books)
    with pytest.raises(ValidationError) as exc:
        svc.propose(books, COOP, EX, raw)
    assert all(p.where.startswith("ligne ") for p in exc.value.problems)
    assert not any(books.entry(x.id).pointed for k, x in e.items() if k != "oct")


# -- the dashboard's panel ---------------------------------------------------------------------
def _upload(w, name, content: bytes):
    w.value = ({"name": name, "type": "application/octet-stream", "size": len(content),
                "content": memoryview(content), "last_modified": datetime.now(timezone.utc)},)


def test_releve_panel_reads_cfonb_and_shows_the_balances(books):
    _november(books)
    d = Dashboard(books.as_user(Actor("prof", "mandataire", coop=COOP)), COOP, EX)
    d.tabs.selected_index = 1
    d.cahier.statement_btn.value = True
    r = d.cahier.statement
    _upload(r.upload, "RELEVE.TXT", _nov_cfonb())
    assert "RELEVE.TXT : 3 opérations du 08/11/2025 au 15/11/2025 (CFONB 120)" in r.summary.value
    assert "rk-rbalance-ok" in r.summary.value and "rk-rbalance-gap" in r.summary.value
    assert ("Relevé au 30/11 : 2 012,07 € ; livre pointé : 2 016,87 € (avec les 2 lignes proposées) — "
            "écart -4,80 €") in r.summary.value
    assert len(r.checks) == 2
    _upload(r.upload, "RELEVE.TXT", _nov_cfonb()[:-124])
    assert "RELEVE.TXT n’a pas pu être lu, rien n’a été pointé" in r.status.value
    assert "Ligne 1 : relevé incomplet" in r.status.value and r.checks == []
