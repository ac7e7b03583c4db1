"""Ledger commands: schema, ADs, coops, charts, exercices, entries, import/export, demo data."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import french_help
from ..domain.errors import ValidationError
from ..domain.money import format_eur, parse_amount
from ..domain.numbering import SINGLE, SPLIT

if TYPE_CHECKING:  # the entry model is imported by the commands that use it: every other
    from ..domain.entry import VentilationLine  # command (`retkoop report …`) starts faster


def _books():
    from ..services import Books
    return Books(None, "cli")


def _write(text: str, out: str | None) -> None:
    if out and out != "-":
        Path(out).write_text(text, encoding="utf-8", newline="")
        print(f"écrit : {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def register(sub) -> None:
    p = sub.add_parser("init", help="créer ou mettre à jour le schéma de la base", add_help=False)
    french_help(p)
    p.set_defaults(func=cmd_init)

    ad = sub.add_parser("ad", help="associations départementales", add_help=False)
    french_help(ad)
    ads = ad.add_subparsers(dest="ad_cmd", metavar="ACTION", required=True)
    p = ads.add_parser("add", help="créer une AD", add_help=False)
    french_help(p)
    p.add_argument("code", help="code de l'AD, ex. AD76")
    p.add_argument("--name", required=True, help="nom, ex. « OCCE Seine-Maritime »")
    p.set_defaults(func=lambda a: (_books().add_ad(a.code, a.name), print(f"AD {a.code.upper()} créée"))[-1])
    p = ads.add_parser("list", help="lister les AD", add_help=False)
    french_help(p)
    p.set_defaults(func=lambda a: [print(f"{c}\t{n}") for c, n in _books().ads()] and 0)

    ch = sub.add_parser("chart", help="plan comptable", add_help=False)
    french_help(ch)
    chs = ch.add_subparsers(dest="chart_cmd", metavar="ACTION", required=True)
    p = chs.add_parser("import", help="charger le plan comptable d'une AD (CSV ; même colonnes que le plan OCCE)",
                       add_help=False)
    french_help(p)
    p.add_argument("ad", help="code de l'AD")
    p.add_argument("file", help="fichier CSV (code;code_occe;libelle;classe;rubrique)")
    p.set_defaults(func=cmd_chart_import)

    co = sub.add_parser("coop", help="coopératives", add_help=False)
    french_help(co)
    cos = co.add_subparsers(dest="coop_cmd", metavar="ACTION", required=True)
    p = cos.add_parser("add", help="créer une coopérative", add_help=False)
    french_help(p)
    p.add_argument("code", help="numéro de la coopérative, ex. AD76-0421")
    p.add_argument("--name", required=True, help="nom, ex. « École des Tilleuls »")
    p.add_argument("--ad", required=True, help="AD de rattachement, ex. AD76")
    p.add_argument("--numerotation", choices=[SINGLE, SPLIT], default=SINGLE,
                   help="pièces en une séquence (unique) ou R/D séparées (RD)")
    p.set_defaults(func=lambda a: (_books().add_coop(a.code, a.name, a.ad, numbering_mode=a.numerotation),
                                   print(f"coopérative {a.code.upper()} créée"))[-1])
    p = cos.add_parser("list", help="lister les coopératives", add_help=False)
    french_help(p)
    p.add_argument("--ad", help="seulement cette AD")
    p.set_defaults(func=lambda a: [print(f"{c['code']}\t{c['name']}\t{c['ad']}") for c in _books().coops(a.ad)] and 0)

    ex = sub.add_parser("exercice", help="exercices (1er septembre → 31 août)", add_help=False)
    french_help(ex)
    exs = ex.add_subparsers(dest="ex_cmd", metavar="ACTION", required=True)
    p = exs.add_parser("open", help="ouvrir un exercice avec ses soldes d'ouverture", add_help=False)
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice", help="ex. 2025-2026")
    p.add_argument("--banque", default="0", help="solde banque à l'ouverture, ex. « 1842,37 »")
    p.add_argument("--caisse", default="0", help="solde caisse à l'ouverture, ex. « 63,50 »")
    p.set_defaults(func=cmd_exercice_open)
    p = exs.add_parser("close", help="clore l'exercice et reporter les soldes sur le suivant", add_help=False)
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice")
    p.set_defaults(func=cmd_exercice_close)

    en = sub.add_parser("entry", help="écritures du cahier", add_help=False)
    french_help(en)
    ens = en.add_subparsers(dest="entry_cmd", metavar="ACTION", required=True)
    p = ens.add_parser("add", help="saisir une écriture", add_help=False)
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice")
    p.add_argument("--date", required=True, help="jj/mm/aaaa")
    p.add_argument("--libelle", required=True)
    p.add_argument("--piece", default="", help="numéro de pièce (défaut : le prochain libre)")
    p.add_argument("--tiers", default="")
    p.add_argument("--mode", default="", help="chèque, espèces, virement, carte ou prélèvement")
    p.add_argument("--cheque", default="", help="numéro de chèque")
    for opt, hlp in (("--banque-entree", "entrée en banque"), ("--banque-sortie", "sortie de banque"),
                     ("--caisse-entree", "entrée en caisse"), ("--caisse-sortie", "sortie de caisse")):
        p.add_argument(opt, default="", help=f"montant {hlp}, ex. « 174,50 »")
    p.add_argument("--ventilation", "-v", action="append", default=[], metavar="COMPTE=MONTANT",
                   help="ventilation, répétable : -v 6281=150 -v 61681=15 -v 6181=9,50")
    p.add_argument("--pointe", default="", metavar="JJ/MM/AAAA", help="pointée sur le relevé de cette date")
    p.set_defaults(func=cmd_entry_add)
    p = ens.add_parser("list", help="afficher le cahier avec les soldes", add_help=False)
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice")
    p.set_defaults(func=cmd_entry_list)

    p = sub.add_parser("import", help="importer un cahier CSV, XLSX ou ODS (tout ou rien)", add_help=False)
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice")
    p.add_argument("file", help="cahier CSV (séparateur ;) ou classeur du cahier (.xlsx, .ods)")
    p.add_argument("--appliquer", action="store_true",
                   help="classeur : importer pour de bon (sans cette option : colonnes et aperçu seulement)")
    p.add_argument("--colonnes", metavar="NOM|FICHIER.json",
                   help="classeur : utiliser les colonnes enregistrées par l'AD sous ce nom (ou ce fichier .json)")
    p.add_argument("--enregistrer-colonnes", metavar="NOM|FICHIER.json", dest="enregistrer_colonnes",
                   help="classeur : enregistrer les colonnes pour l'AD sous ce nom (toutes ses coopératives "
                        "les retrouvent), ou dans ce fichier .json")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="exporter le cahier (csv, json, beancount)", add_help=False)
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice")
    p.add_argument("--format", choices=["csv", "json", "beancount"], default="csv")
    p.add_argument("-o", "--output", help="fichier de sortie (défaut : sortie standard)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("demo-data", help="créer les coopératives de démonstration (une année complète)",
                       add_help=False)
    french_help(p)
    p.set_defaults(func=cmd_demo_data)


def cmd_init(a) -> int:
    from ..storage.db import redact
    b = _books()
    b.init_schema()
    print(f"schéma à jour : {redact(str(b.engine.url))}")
    return 0


def cmd_chart_import(a) -> int:
    text = Path(a.file).read_text(encoding="utf-8-sig")
    chart = _books().import_chart(a.ad.upper(), text, source=Path(a.file).name)
    print(f"plan comptable de {a.ad.upper()} : {len(chart)} comptes chargés")
    return 0


def cmd_exercice_open(a) -> int:
    bank = parse_amount(a.banque, "solde banque", allow_zero=True, allow_negative=True)
    cash = parse_amount(a.caisse, "solde caisse", allow_zero=True)
    from ..domain.errors import Conflict
    books, coop = _books(), a.coop.upper()
    try:
        ex = books.open_exercice(coop, a.exercice, bank, cash)
    except Conflict:
        # « déjà ouvert » is wrong for a closed or submitted exercice: say what it is.
        existing = next((e for e in books.exercices(coop) if e.name == a.exercice), None)
        if existing is None:
            raise
        raise Conflict(existing.already_exists_message()) from None
    print(f"exercice {ex.name} ouvert pour {ex.coop} : banque {format_eur(bank)}, caisse {format_eur(cash)}")
    return 0


def cmd_exercice_close(a) -> int:
    nxt = _books().close_exercice(a.coop.upper(), a.exercice)
    print(f"exercice {a.exercice} clos ; report à nouveau sur {nxt.name} : banque "
          f"{format_eur(nxt.opening_bank)}, caisse {format_eur(nxt.opening_cash)}")
    return 0


def _ventilation(items: list[str]) -> tuple[VentilationLine, ...]:
    from ..domain.entry import VentilationLine
    out, problems = [], []
    for i, item in enumerate(items, 1):
        if "=" not in item:
            problems.append(f"ventilation « {item} » : attendu COMPTE=MONTANT (ex. 6281=150)")
            continue
        code, amount = item.split("=", 1)
        try:
            out.append(VentilationLine(code.strip(), parse_amount(amount, f"ventilation {code.strip()}")))
        except ValidationError as e:
            problems.extend(p.message for p in e.problems)
    if problems:
        raise ValidationError("\n".join(problems), "ventilation")
    return tuple(out)


def cmd_entry_add(a) -> int:
    from ..domain.dates import format_date, parse_date
    from ..domain.entry import EntryDraft

    def amt(v, name):
        return parse_amount(v, name, allow_empty=True, allow_zero=True)
    draft = EntryDraft(
        date=parse_date(a.date), libelle=a.libelle, piece=a.piece, tiers=a.tiers, mode=a.mode, cheque=a.cheque,
        bank_in=amt(a.banque_entree, "banque entrée"), bank_out=amt(a.banque_sortie, "banque sortie"),
        cash_in=amt(a.caisse_entree, "caisse entrée"), cash_out=amt(a.caisse_sortie, "caisse sortie"),
        ventilation=_ventilation(a.ventilation), pointed=bool(a.pointe),
        statement_date=parse_date(a.pointe, "pointé") if a.pointe else None)
    e = _books().record_entry(a.coop.upper(), a.exercice, draft)
    print(f"écriture enregistrée : pièce {e.piece} du {format_date(e.date)}, {format_eur(e.amount)}")
    return 0


def cmd_entry_list(a) -> int:
    from ..domain.dates import format_date
    from ..domain.text import printable
    lines = _books().cahier(a.coop.upper(), a.exercice)
    print(f"{'Pièce':<7} {'Date':<10} {'Libellé':<40} {'Banque':>12} {'Caisse':>12} {'Solde bq':>13} {'Solde cs':>11} P")
    for ln in lines:
        e = ln.entry
        # Text stored before the character rules may hold control characters: shown escaped.
        print(f"{printable(e.piece):<7} {format_date(e.date):<10} {printable(e.libelle)[:40]:<40} "
              f"{format_eur(e.bank, symbol=False) if e.bank else '':>12} {format_eur(e.cash, symbol=False) if e.cash else '':>12} "
              f"{format_eur(ln.bank_balance, symbol=False):>13} {format_eur(ln.cash_balance, symbol=False):>11} "
              f"{'✓' if e.pointed else ''}")
    return 0


def cmd_import(a) -> int:
    from ..io.cahier_csv import parse_cahier
    raw = Path(a.file).read_bytes()
    b = _books()
    chart = b.chart(a.coop.upper())
    if a.colonnes or a.enregistrer_colonnes or not _documented_csv(raw):
        return _import_spreadsheet(a, raw, b, chart)
    drafts = parse_cahier(raw, chart, source=Path(a.file).name)
    saved = b.import_drafts(a.coop.upper(), a.exercice, drafts, source=Path(a.file).name)
    print(f"{len(saved)} écritures importées dans {a.coop.upper()} {a.exercice}")
    return 0


def _documented_csv(raw: bytes) -> bool:
    """A text file whose first line names Date and Libellé: the cahier CSV of
    docs/formats.md, read as it always was (``parse_cahier``). Anything else (a workbook, a
    CSV saved from an AD's spreadsheet with its title rows) goes through the column mapping."""
    from ..io.spreadsheet import detect_kind
    from ..io.text_files import header_key
    if detect_kind(raw) != "csv":
        return False
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw[:4000].count(0) * 3 >= len(raw[:4000]) > 0:
        return True  # UTF-16: parse_cahier refuses it with its advice, as before
    first = re.split(rb"\r\n|\n|\r", raw, maxsplit=1)[0]
    try:
        keys = {header_key(c) for c in first.decode("utf-8-sig").split(";")}
    except UnicodeDecodeError:
        return True  # parse_cahier says what is wrong with the encoding
    return "date" in keys and "libelle" in keys


def _is_file_name(value: str) -> bool:
    """``--colonnes``/``--enregistrer-colonnes``: a ``.json`` path (or an existing file) is a
    file; anything else is the name of a mapping saved for the AD in the database."""
    return value.lower().endswith(".json") or Path(value).is_file()


def _import_spreadsheet(a, raw: bytes, b, chart) -> int:
    """A cahier kept in a spreadsheet: the columns guessed (or read from --colonnes), shown
    with a preview; imported all or nothing with --appliquer."""
    from ..domain.errors import ValidationError
    from ..domain.text import printable
    from ..io import spreadsheet as sp
    name = Path(a.file).name
    grid = sp.read_grid(raw, name)
    if a.colonnes and _is_file_name(a.colonnes):
        mapping = sp.Mapping.from_json(Path(a.colonnes).read_text(encoding="utf-8"), Path(a.colonnes).name)
        print(f"colonnes lues dans {a.colonnes} :")
    elif a.colonnes:
        mapping = b.column_mapping(a.coop.upper(), a.colonnes)
        print(f"colonnes enregistrées par l'AD sous le nom « {printable(a.colonnes)} » :")
    else:
        mappings = sp.guess_mappings(grid, chart)
        print("colonnes reconnues :" if len(mappings) == 1 else
              f"colonnes reconnues sur {len(mappings)} feuilles (importées comme un seul cahier, par date) :")
        mapping = mappings[0]
    mappings = [mapping] if a.colonnes else mappings
    for m in mappings:
        for line in sp.describe(m, chart):
            print(printable(line))
        rows = sp.preview(grid, m, chart)
        if rows:
            where = f" de la feuille « {m.sheet} »" if len(mappings) > 1 else ""
            print(f"aperçu des {len(rows)} premières écritures{where} (montants tels que lus) :")
            for r in rows:
                money = " ".join(f"{k} {r[k]}" for k in ("Banque entrée", "Banque sortie", "Caisse entrée",
                                                           "Caisse sortie") if r[k])
                print(printable(f"  ligne {r['Ligne']} : {r['Pièce'] or '(n° auto)'} {r['Date']} {r['Libellé']} — "
                                f"{money or 'aucun mouvement'} — ventilation : {r['Ventilation'] or 'aucune'}"))
    if a.enregistrer_colonnes and len(mappings) > 1:
        raise ValidationError("--enregistrer-colonnes : le classeur a plusieurs feuilles de cahier ; des colonnes "
                              "enregistrées décrivent une seule feuille (importez sans --enregistrer-colonnes)",
                              "colonnes")
    if a.enregistrer_colonnes and _is_file_name(a.enregistrer_colonnes):
        Path(a.enregistrer_colonnes).write_text(mapping.to_json(), encoding="utf-8")
        print(f"colonnes enregistrées dans {a.enregistrer_colonnes} (à réutiliser avec --colonnes)")
    elif a.enregistrer_colonnes:
        ad = b.coop_info(a.coop.upper())["ad"]
        replaced = b.save_column_mapping(ad, a.enregistrer_colonnes, mapping)
        print(f"colonnes enregistrées pour l'AD {ad} sous le nom « {printable(a.enregistrer_colonnes)} »"
              f"{' (remplacent les précédentes)' if replaced else ''} : ses coopératives les retrouvent à "
              f"l'import (--colonnes « {printable(a.enregistrer_colonnes)} »)")
    drafts, problems = sp.to_drafts_many(grid, mappings, chart)
    if problems:
        raise ValidationError(problems)
    if not a.appliquer:
        print(f"{len(drafts)} écritures prêtes. Rien n'a été importé : vérifiez les colonnes et l'aperçu, "
              "puis relancez avec --appliquer (ou corrigez les colonnes dans un fichier --colonnes)")
        return 0
    saved = b.import_drafts(a.coop.upper(), a.exercice, drafts, source=name)
    print(f"{len(saved)} écritures importées dans {a.coop.upper()} {a.exercice}")
    return 0


def cmd_export(a) -> int:
    b = _books()
    coop = a.coop.upper()
    entries = b.entries(coop, a.exercice)
    chart = b.chart(coop)
    if a.format == "csv":
        from ..io.cahier_csv import export_cahier
        text = export_cahier(entries, chart)
    elif a.format == "json":
        from ..io.json_export import export_json
        text = json.dumps(export_json(coop, b.exercice(coop, a.exercice), entries), ensure_ascii=False, indent=2) + "\n"
    else:
        from ..io.beancount import export_beancount
        text = export_beancount(b.crf(coop, a.exercice), entries, chart)
    _write(text, a.output)
    return 0


def cmd_demo_data(a) -> int:
    from ..demo import seed_demo
    b = _books()
    b.init_schema()
    seed_demo(b)
    print("données de démonstration prêtes : AD76 (AD76-0421 École des Tilleuls, AD76-0102, AD76-0333, "
          "AD76-0550), AD27 (AD27-0101)")
    return 0
