"""Report commands: ``report`` (CRF as JSON or PDF, one coop or a whole AD), ``cahier``
(PDF, CSV, XLSX) and ``crf`` (submission to the AD, unlock by the AD, list)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import french_help
from ..domain.errors import ValidationError


def _books():
    from ..services import Books
    return Books(None, "cli")


def _pdf(kind: str, coop: str, exercice: str) -> bytes:
    """One report as PDF, the kernel started first thing.

    The CLI acts as the system actor, and so does the report kernel (its read-only
    ``Books`` opens the same database: it inherits ``RETKOOP_DB_URL``, set from ``--db``
    too). A check here with the CLI's own ``Books`` would add nothing but ~0.5 s of
    SQLAlchemy imports on the critical path: an unknown coop or exercice comes back from
    the kernel as the same French ``NotFound`` message, a broken CRF invariant as
    ``InvariantBreach`` (exit 3). This process meanwhile imports WeasyPrint."""
    from ..reports.runner import ReportKernel, produce_pdf
    with ReportKernel() as kernel:
        return produce_pdf(kernel, kind, coop, exercice)


def _write_bytes(data: bytes, out: str | None, default_name: str) -> None:
    if out == "-":
        sys.stdout.buffer.write(data)
        return
    path = Path(out or default_name)
    path.write_bytes(data)
    print(f"écrit : {path}", file=sys.stderr)


def register(sub) -> None:
    p = sub.add_parser("report", add_help=False,
                       help="compte rendu financier (CRF) : JSON ou PDF, d'une coopérative ou de toute une AD")
    french_help(p)
    p.add_argument("target", nargs="+", metavar="COOP EXERCICE",
                   help="coopérative et exercice (ex. AD76-0421 2025-2026) ; avec --ad, l'exercice seul")
    p.add_argument("--format", choices=("json", "pdf"), default="pdf", help="format (défaut : pdf)")
    p.add_argument("-o", "--output", metavar="FICHIER",
                   help="fichier de sortie (défaut : sortie standard pour json, CRF_<coop>_<exercice>.pdf pour pdf)")
    p.add_argument("--ad", metavar="AD", help="produire le CRF de toutes les coopératives de cette AD")
    p.add_argument("--out-dir", metavar="DOSSIER", help="avec --ad : dossier des PDF (défaut : CRF_<AD>_<exercice>)")
    p.add_argument("--workers", type=int, default=2, metavar="N",
                   help="avec --ad : nombre de processus de rendu en parallèle (défaut : 2)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("cahier", add_help=False, help="cahier de comptabilité imprimable (pdf) ou exporté (csv, xlsx)")
    french_help(p)
    p.add_argument("coop", help="coopérative, ex. AD76-0421")
    p.add_argument("exercice", help="exercice, ex. 2025-2026")
    p.add_argument("--format", choices=("pdf", "csv", "xlsx"), default="pdf", help="format (défaut : pdf)")
    p.add_argument("-o", "--output", metavar="FICHIER", help="fichier de sortie (« - » : sortie standard)")
    p.set_defaults(func=cmd_cahier)

    crf = sub.add_parser("crf", add_help=False, help="soumission du CRF à l'AD, réouverture par l'AD")
    french_help(crf)
    crs = crf.add_subparsers(dest="crf_cmd", metavar="ACTION", required=True)
    p = crs.add_parser("check", add_help=False, help="vérifier si le CRF peut être soumis")
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice")
    p.set_defaults(func=cmd_crf_check)
    p = crs.add_parser("submit", add_help=False, help="soumettre le CRF (verrouille l'exercice)")
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice")
    p.add_argument("--verificateur", action="append", default=[], metavar="« NOM:QUALITÉ »",
                   help="vérificateur aux comptes, ex. « Claire Martin:parent » (au moins deux, dont un parent)")
    p.add_argument("--lieu", default="", help="lieu de signature (« Fait à … »), ex. Rouen")
    p.add_argument("--le", default="", metavar="JJ/MM/AAAA", help="date de signature par les vérificateurs")
    p.add_argument("--rapprochement-verifie", action="store_true",
                   help="je confirme que le tableau de rapprochement correspond au relevé bancaire du 31/08")
    p.set_defaults(func=cmd_crf_submit)
    p = crs.add_parser("unlock", add_help=False, help="rouvrir un exercice soumis (AD ; motif obligatoire)")
    french_help(p)
    p.add_argument("coop")
    p.add_argument("exercice")
    p.add_argument("--raison", required=True, help="motif de la réouverture (tracé dans le journal)")
    p.set_defaults(func=cmd_crf_unlock)
    p = crs.add_parser("list", add_help=False, help="état des CRF des coopératives d'une AD")
    french_help(p)
    p.add_argument("ad")
    p.add_argument("exercice")
    p.set_defaults(func=cmd_crf_list)


def cmd_report(a) -> int:
    if a.ad:
        books = _books()
        if len(a.target) != 1:
            raise ValidationError("avec --ad, indiquez seulement l'exercice (ex. retkoop report --ad AD76 2025-2026)",
                                  "exercice")
        if a.format != "pdf":
            raise ValidationError("le rendu par AD produit des PDF : utilisez --format pdf", "format")
        if a.workers < 1:
            raise ValidationError("--workers doit valoir au moins 1", "workers")
        from ..reports.batch import progress_bar, render_ad
        from ..domain.exercice import normalise_exercice_name
        ad, exercice = a.ad.upper(), normalise_exercice_name(a.target[0])
        out_dir = a.out_dir or f"CRF_{ad}_{exercice}"
        batch = render_ad(books, ad, exercice, out_dir, workers=a.workers, progress=progress_bar(sys.stderr))
        print(batch.summary(), file=sys.stderr)
        print(f"dossier : {out_dir}", file=sys.stderr)
        return 1 if batch.failed else 0
    if len(a.target) != 2:
        raise ValidationError("indiquez la coopérative et l'exercice (ex. retkoop report AD76-0421 2025-2026)",
                              "coop")
    from ..domain.exercice import normalise_exercice_name
    a.target[1] = normalise_exercice_name(a.target[1])
    coop, exercice = a.target[0].upper(), a.target[1]
    if a.format == "pdf":
        _write_bytes(_pdf("crf", coop, exercice), a.output, f"CRF_{coop}_{exercice}.pdf")
        return 0
    books = _books()
    if a.format == "json":
        from ..domain.crf import crf_json
        text = json.dumps(crf_json(books.crf(coop, exercice)), ensure_ascii=False, indent=2) + "\n"
        if a.output and a.output != "-":
            Path(a.output).write_text(text, encoding="utf-8")
            print(f"écrit : {a.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    return 0


def cmd_cahier(a) -> int:
    coop, exercice = a.coop.upper(), a.exercice
    if a.format == "pdf":
        _write_bytes(_pdf("cahier", coop, exercice), a.output, f"Cahier_{coop}_{exercice}.pdf")
        return 0
    books = _books()
    if a.format == "xlsx":
        from ..reports.xlsx import cahier_xlsx
        data = cahier_xlsx(books.cahier(coop, exercice), books.chart(coop), title=f"Cahier {exercice}")
        _write_bytes(data, a.output, f"Cahier_{coop}_{exercice}.xlsx")
    else:
        from ..io.cahier_csv import export_cahier
        text = export_cahier(books.entries(coop, exercice), books.chart(coop))
        if a.output and a.output != "-":
            Path(a.output).write_text(text, encoding="utf-8", newline="")
            print(f"écrit : {a.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    return 0


def cmd_crf_check(a) -> int:
    from ..services.submission import check_submission
    problems = check_submission(_books(), a.coop.upper(), a.exercice)
    if problems:
        print("Le CRF ne peut pas encore être soumis :")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("Le CRF peut être soumis (il reste à confirmer le rapprochement et à nommer les vérificateurs).")
    return 0


def cmd_crf_submit(a) -> int:
    from ..domain.dates import parse_date
    from ..services.submission import parse_verificateur, submit
    signed_on = parse_date(a.le, "date de signature (--le)") if a.le.strip() else None
    ex = submit(_books(), a.coop.upper(), a.exercice, [parse_verificateur(v) for v in a.verificateur],
                lieu=a.lieu, signed_on=signed_on, reconciliation_confirmed=a.rapprochement_verifie)
    print(f"CRF {ex.name} de {ex.coop} soumis : l'exercice est verrouillé.")
    return 0


def cmd_crf_unlock(a) -> int:
    from ..services.submission import reopen
    ex = reopen(_books(), a.coop.upper(), a.exercice, a.raison)
    print(f"Exercice {ex.name} de {ex.coop} rouvert (motif enregistré).")
    return 0


def cmd_crf_list(a) -> int:
    from ..services.submission import submissions
    for s in submissions(_books(), a.ad.upper(), a.exercice):
        print(f"{s['coop']}\t{s['nom']}\t{s['statut']}")
    return 0
