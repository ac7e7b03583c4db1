"""ADs, their charts of accounts, coops and the audit log: the platform's own use cases.

Every function takes the ``Books`` of the acting user first and runs in the guard of
``services.guard`` (permission through ``Actor``; one unit of work; audited writes).
AD and coop codes and names are checked by ``domain.text.text_problems`` (column length,
forbidden characters) before any lookup or write: one French refusal on every store.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain import numbering
from ..domain.chart import Chart, parse_chart_csv
from ..domain.errors import Conflict, Forbidden, NotFound, Problem, ValidationError
from ..domain.text import text_problems
from ..storage.records import Ad, Coop
from .guard import reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def _require_texts(*checks: tuple[str, str, str]) -> None:
    """Refuse at once every (value, field of ``domain.text.LIMITS``, form field) that is
    too long for its column or holds a forbidden character."""
    problems = [Problem(p.message, form) for value, field, form in checks for p in text_problems(value, field)]
    if problems:
        raise ValidationError(problems)


def add_ad(books: "Books", code: str, name: str) -> None:
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code or not name:
        raise ValidationError("le code et le nom de l'AD sont obligatoires", "code")
    _require_texts((code, "ad_code", "code"), (name, "ad_name", "name"))
    if not books.actor.may_create_ad:
        raise Forbidden("seul l'administrateur de la plateforme crée une AD")
    with writing(books) as w:
        if w.repo.ad(code):
            raise Conflict(f"l'AD {code} existe déjà")
        w.repo.add_ad(Ad(code, name))
        w.audit("create", "ad", code, after={"name": name})


def ads(books: "Books") -> list[tuple[str, str]]:
    with reading(books) as r:
        return [(a.code, a.name) for a in r.repo.ads()]


def import_chart(books: "Books", ad: str, csv_text: str, source: str = "fichier") -> Chart:
    chart = parse_chart_csv(csv_text, source)
    _require_texts((ad, "ad_code", "ad"))
    with writing(books) as w:
        if w.repo.ad(ad) is None:
            raise NotFound(f"AD « {ad} » inconnue")
        if not books.actor.may_change_chart(ad):
            raise Forbidden(f"{books.actor.login} ne peut pas changer le plan comptable de {ad}")
        w.repo.replace_chart(ad, chart)
        w.audit("chart_import", "ad", ad, after={"comptes": len(chart)})
    return chart


def chart(books: "Books", coop: str) -> Chart:
    with reading(books, coop) as r:
        return r.repo.chart(r.coop.ad_code)


def add_coop(books: "Books", code: str, name: str, ad: str, *, numbering_mode: str = numbering.SINGLE,
             training: bool = False) -> None:
    code, ad, name = (code or "").strip().upper(), (ad or "").strip().upper(), (name or "").strip()
    if not code or not name:
        raise ValidationError("le code et le nom de la coopérative sont obligatoires", "code")
    _require_texts((code, "coop_code", "code"), (name, "coop_name", "name"), (ad, "ad_code", "ad"))
    if numbering_mode not in (numbering.SINGLE, numbering.SPLIT):
        raise ValidationError("numérotation « unique » ou « RD » (recettes / dépenses)", "numbering")
    with writing(books) as w:
        if w.repo.ad(ad) is None:
            raise NotFound(f"AD « {ad} » inconnue (retkoop ad add {ad} --name …)")
        if not books.actor.may_create_coop(ad):
            raise Forbidden(f"{books.actor.login} ne peut pas créer de coopérative dans {ad}")
        if w.repo.coop(code):
            raise Conflict(f"la coopérative {code} existe déjà")
        w.repo.add_coop(Coop(code, name, ad, numbering_mode, training))
        w.audit("create", "coop", code, coop=code,
                after={"name": name, "ad": ad, "numbering": numbering_mode, "training": training})


def coop_info(books: "Books", code: str) -> dict:
    with reading(books, code) as r:
        c = r.coop
        ad = r.repo.ad(c.ad_code)
        return {"code": c.code, "name": c.name, "ad": c.ad_code, "ad_name": ad.name if ad else "",
                "numbering": c.numbering, "training": c.training,
                "exercices": [(x.name, x.state) for x in r.repo.exercices(code)]}


def coops(books: "Books", ad: str | None = None, include_training: bool = True) -> list[dict]:
    with reading(books) as r:
        return [{"code": c.code, "name": c.name, "ad": c.ad_code, "training": c.training}
                for c in r.repo.coops(ad, include_training)
                if books.actor.may_read(c.code, c.ad_code, c.training)]


def audit_log(books: "Books", coop: str, limit: int = 200) -> list[dict]:
    with reading(books, coop) as r:
        return [{"at": a.at, "actor": a.actor, "action": a.action, "object": f"{a.object_type} {a.object_id}",
                 "exercice": a.exercice, "before": a.before, "after": a.after, "reason": a.reason}
                for a in r.repo.audit_log(coop, limit)]
