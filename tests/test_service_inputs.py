"""What the service layer accepts from its callers (dashboard, API, notebooks), checked by
the domain before storage — on the in-memory fake, SQLite and PostgreSQL (the ``svc``
fixture) or on both databases (``books``):

1. an import numbers its blank pièces after every pièce the file types;
4. an exercice name is the one name of its school year, whatever way it was typed;
5. subsidy, coop and AD texts get the same French refusal everywhere (PostgreSQL would
   otherwise answer a 300-character organisme with an English ``DataError``).
"""
from __future__ import annotations

import re
from datetime import date

import pytest

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Conflict, NotFound, ValidationError

from conftest import COOP, EX


def receipt(piece: str = "", amount: int = 1000, day: date = date(2025, 9, 12), libelle: str = "Don") -> EntryDraft:
    return EntryDraft(date=day, piece=piece, libelle=libelle, mode="virement", bank_in=amount,
                      ventilation=(V("7580", amount),))


def messages(info) -> list[str]:
    return [str(p) for p in info.value.problems]


# -- 1. blank pièces are numbered after every pièce the file types --------------------------
def test_blank_pieces_before_an_explicit_003_are_numbered_after_it(svc):
    drafts = [("ligne 2", receipt()), ("ligne 3", receipt()), ("ligne 4", receipt()),
              ("ligne 5", receipt("003", amount=5000))]
    saved = svc.import_drafts(COOP, EX, drafts, source="cahier.csv")
    assert [e.piece for e in saved] == ["004", "005", "006", "003"]  # file order, each line its own pièce
    assert [e.bank_in for e in saved] == [1000, 1000, 1000, 5000]
    assert sorted(e.piece for e in svc.entries(COOP, EX)) == ["003", "004", "005", "006"]


def test_an_import_reports_its_problems_in_file_order_and_saves_nothing(svc):
    drafts = [("ligne 2", receipt(day=date(2024, 9, 12))),  # blank pièce, outside the exercice
              ("ligne 3", receipt("003")),
              ("ligne 4", receipt()),
              ("ligne 5", receipt("003"))]  # twice in the file
    with pytest.raises(ValidationError) as info:
        svc.import_drafts(COOP, EX, drafts)
    assert [p.where for p in info.value.problems] == ["ligne 2", "ligne 5"]
    assert "pièce 003 en double (déjà ligne 3)" in messages(info)[1]
    assert svc.entries(COOP, EX) == []
    # the same file without its bad lines: the blank one is numbered after 003
    saved = svc.import_drafts(COOP, EX, [drafts[2], ("ligne 5", receipt("003"))])
    assert [e.piece for e in saved] == ["004", "003"]


# -- 4. one name per exercice through Books ------------------------------------------------
def test_books_read_and_write_an_exercice_typed_any_way(svc):
    svc.record_entry(COOP, " 2025 - 2026 ", receipt())
    assert [e.piece for e in svc.entries(COOP, " 2025 - 2026 ")] == ["001"]
    assert svc.exercice(COOP, "2025/2026").name == EX
    assert svc.exercice(COOP, "25-26").name == EX
    assert svc.suggest_piece(COOP, "2025–2026") == "002"
    saved = svc.import_drafts(COOP, "2025/26", [("ligne 2", receipt())])
    assert [e.piece for e in saved] == ["002"]
    assert svc.balances(COOP, "2025/2026") == (184237 + 2000, 6350)
    assert len(svc.cahier(COOP, "2025/2026")) == 2
    assert svc.snapshot(COOP, "2025/2026").exercice.name == EX
    assert svc.crf(COOP, "2025/2026").exercice.name == EX
    log = svc.audit_log(COOP)
    assert {a["exercice"] for a in log if a["object"].startswith("entry ") or a["action"] == "import"} == {EX}
    # what is not a school year gets the domain's French refusal, on every store (a NUL
    # byte reached PostgreSQL's lookup and came back as an English DataError)
    for typed in ("2025-2027", "exercice 2025", "2025\x00-2026", "x" * 300):
        for call in (lambda t=typed: svc.open_exercice(COOP, t), lambda t=typed: svc.entries(COOP, t),
                     lambda t=typed: svc.record_entry(COOP, t, receipt()), lambda t=typed: svc.crf(COOP, t)):
            with pytest.raises(ValidationError, match="exercice « .* » invalide : attendu deux années consécutives"):
                call()
    assert [e.name for e in svc.exercices(COOP)] == [EX]


def test_books_open_an_exercice_typed_with_a_slash_under_its_one_name(svc):
    ex = svc.open_exercice(COOP, "2026/2027", 1200, 0)
    assert ex.name == "2026-2027"
    assert [e.name for e in svc.exercices(COOP)] == [EX, "2026-2027"]
    with pytest.raises(Conflict, match="l'exercice 2026-2027 de AD76-0421 est déjà ouvert"):
        svc.open_exercice(COOP, " 2026 - 2027 ")
    assert [e.name for e in svc.exercices(COOP)] == [EX, "2026-2027"]


def test_books_close_an_exercice_typed_with_a_slash(svc):
    nxt = svc.close_exercice(COOP, "2025/2026")
    assert nxt.name == "2026-2027" and (nxt.opening_bank, nxt.opening_cash) == (184237, 6350)
    assert svc.exercice(COOP, EX).state == "clos"


def test_an_unknown_exercice_is_named_by_its_one_name(svc):
    with pytest.raises(NotFound, match="l'exercice 2027-2028 de la coopérative AD76-0421 n'est pas ouvert"):
        svc.entries(COOP, "2027/2028")


def test_opening_a_closed_exercice_again_through_books_says_it_is_closed(svc):
    svc.close_exercice(COOP, EX)
    with pytest.raises(Conflict) as info:
        svc.open_exercice(COOP, "2025/2026")
    assert "l'exercice 2025-2026 de AD76-0421 est clos" in str(info.value)
    assert "déjà ouvert" not in str(info.value)


def test_opening_a_submitted_exercice_again_says_it_is_submitted(svc):
    svc.submit_exercice(COOP, EX)
    with pytest.raises(Conflict, match="existe déjà et il est soumis"):
        svc.open_exercice(COOP, EX)


# -- 5. subsidy, coop and AD texts: one French refusal on every store ----------------------
SUBSIDY_ATTACKS = [
    (dict(grantor="M" * 300), "l'organisme dépasse 200 caractères (300)"),
    (dict(grantor="Mairie\x00"), "l'organisme contient un caractère interdit (U+0000 (NUL))"),
    (dict(object="P" * 301), "l'objet dépasse 300 caractères (301)"),
    (dict(object="Projet\u202electure"), "l'objet contient un caractère interdit"),
    (dict(entry_piece="0" * 21), "le numéro de pièce dépasse 20 caractères (21)"),
    (dict(entry_piece="001\x00"), "le numéro de pièce contient un caractère interdit"),
]


@pytest.mark.parametrize("attack,message", SUBSIDY_ATTACKS)
def test_a_hostile_subsidy_text_gets_the_same_french_refusal_everywhere(svc, attack, message):
    fields = dict(grantor="Mairie", grantor_type="commune", object="Projet lecture", amount=60000,
                  date_received=date(2025, 11, 6))
    with pytest.raises(ValidationError, match=re.escape(message)):
        svc.add_subsidy(COOP, EX, **{**fields, **attack})
    assert svc.subsidies(COOP, EX) == []
    s = svc.add_subsidy(COOP, EX, **fields)
    with pytest.raises(ValidationError, match=re.escape(message)):
        svc.update_subsidy(s.id, s.version, **attack)
    assert svc.subsidies(COOP, EX)[0].grantor == "Mairie"


def test_a_300_character_grantor_is_refused_in_french_on_both_databases(books):
    """The attack of the issue: on PostgreSQL a grantor longer than its column was an English
    ``DataError`` (SQLite stored it)."""
    with pytest.raises(ValidationError) as info:
        books.add_subsidy(COOP, EX, "G" * 300, "commune", "Projet lecture", 60000, date(2025, 11, 6))
    assert messages(info) == ["l'organisme dépasse 200 caractères (300)"]
    assert info.value.problems[0].field == "grantor"
    with pytest.raises(ValidationError, match="justificatif"):  # a NUL in a lookup: English DataError too
        books.add_subsidy(COOP, EX, "Mairie", "commune", "Projet lecture", 60000, date(2025, 11, 6), proof="\x00")
    assert books.subsidies(COOP, EX) == []
    s = books.add_subsidy(COOP, EX, "G" * 200, "commune", "O" * 300, 60000, date(2025, 11, 6))  # the longest
    got = books.subsidies(COOP, EX)[0]
    assert (got.grantor, got.object, got.id) == ("G" * 200, "O" * 300, s.id)




COOP_ATTACKS = [
    (lambda b: b.add_ad("A" * 17, "OCCE"), "le code de l'AD dépasse 16 caractères (17)"),
    (lambda b: b.add_ad("AD27", "N" * 201), "le nom de l'AD dépasse 200 caractères (201)"),
    (lambda b: b.add_ad("AD\x0027", "OCCE Eure"), "le code de l'AD contient un caractère interdit"),
    (lambda b: b.add_ad("AD27", "OCCE\nEure"), "le nom de l'AD contient un caractère interdit (U+000A"),
    (lambda b: b.add_coop("C" * 33, "École", "AD76"), "le code de la coopérative dépasse 32 caractères (33)"),
    (lambda b: b.add_coop("AD76-0500", "É" * 201, "AD76"), "le nom de la coopérative dépasse 200 caractères (201)"),
    (lambda b: b.add_coop("AD76-\x000500", "École", "AD76"), "le code de la coopérative contient un caractère interdit"),
    (lambda b: b.add_coop("AD76-0500", "École\x1b[2J", "AD76"), "le nom de la coopérative contient un caractère interdit"),
    (lambda b: b.add_coop("AD76-0500", "École", "A" * 300), "le code de l'AD dépasse 16 caractères (300)"),
    (lambda b: b.add_coop("AD76-0500", "École", "AD\x0076"), "le code de l'AD contient un caractère interdit"),
]


@pytest.mark.parametrize("attack,message", COOP_ATTACKS)
def test_a_hostile_coop_or_ad_text_gets_the_same_french_refusal_everywhere(svc, attack, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        attack(svc)
    assert svc.ads() == [("AD76", "OCCE Seine-Maritime")]
    assert [c["code"] for c in svc.coops()] == [COOP]


def test_a_coop_code_one_character_too_long_is_refused_and_the_longest_texts_are_stored(svc):
    with pytest.raises(ValidationError, match="le code de la coopérative dépasse 32 caractères"):
        svc.add_coop("C" * 33, "É" * 200, "AD76")
    svc.add_ad("A" * 16, "N" * 200)
    svc.add_coop("C" * 32, "É" * 200, "A" * 16)
    assert svc.coop_info("C" * 32)["name"] == "É" * 200
    assert ("A" * 16, "N" * 200) in svc.ads()
