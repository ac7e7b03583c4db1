"""Importer un relevé bancaire (CSV, OFX, QIF, CFONB 120): the bank's file proposes the
pointage, the mandataire reviews it (one checkbox per proposed pair) and points the kept
lines at once. The balances the file prints are shown beside the book's pointed balance
(✔, or the gap), so a missing line is seen before the statement is filed away.

Why a review step rather than pointing straight away: matching is by exact amount and
date (``domain.statement.match``), which is right almost always and explainable always,
but two 15,00 € family payments in the same week can be swapped; a person confirms.
The panel lives in the Cahier, next to the pointage session (``widgets/cahier.py``), and
only calls ``services.statement``.

Lines of earlier exercices (a cheque of late August cashed in October) are shown in the
same list with an « exercice 2025-2026 » badge and ticked like the others — even once that
exercice is submitted or closed, when the statement line is dated after its end (a late
pointage, ``services/pointage.py``). The lock is per pair (``Pair.locked``): a line of a
locked exercice on a statement line dated on or before its end is a plain "rien à saisir,
rien à pointer" line — what matters there is that nobody enters the expense a second time.
"""
from __future__ import annotations

import ipywidgets as W

from ..domain.text import plural
from ..services import statement as svc
from .common import Context, attempt, button, esc, eur, fdate, ko_html, name_input, ok_html, uploaded_files
from .datefield import DateField

ACCEPT = ".csv,.ofx,.qfx,.qif,.txt,.cfo,.cfonb,.dat,text/csv,text/plain"
_ROW = "display:flex;gap:10px;align-items:baseline;font-size:12.5px;font-variant-numeric:tabular-nums"
_W_DATE, _W_LIB, _W_AMOUNT = "78px", "300px", "100px"


def _uploaded_file(value) -> tuple[str, bytes] | None:
    files = uploaded_files(value, "relevé.csv")
    return files[0] if files else None


def _cells(day, libelle: str, cents: int) -> str:
    neg = "color:#b91c1c;" if cents < 0 else "color:#1d4ed8;"
    return (f'<span style="width:{_W_DATE};flex:none">{fdate(day)}</span>'
            f'<span style="width:{_W_LIB};flex:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap" '
            f'title="{esc(libelle)}">{esc(libelle)}</span>'
            f'<span style="width:{_W_AMOUNT};flex:none;text-align:right;{neg}">{esc(eur(cents, signed=True))}</span>')


def _table(title: str, head: list[str], rows: list[list[str]], help_text: str = "") -> str:
    if not rows:
        return ""
    th = "".join((f'<th class="n">{esc(h)}</th>' if h == "Montant" else f"<th>{esc(h)}</th>") for h in head)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    helper = f'<div class="rk-help">{esc(help_text)}</div>' if help_text else ""
    return (f'<div class="rk-title" style="margin-top:10px;font-size:13.5px">{esc(title)} ({len(rows)})</div>{helper}'
            f'<div class="rk-scroll" style="max-height:220px"><table class="rk-table"><thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _earlier_badge(name: str) -> str:
    return (f'<span class="rk-pill rk-rearlier" style="background:#fef3c7;color:#92400e">exercice '
            f'{esc(name or "précédent")}</span>')


def _checks_html(checks) -> str:
    """The statement's balances beside the book's pointed balance: green ✔ when equal, the
    gap in red, grey when the day is outside the exercices read."""
    out = []
    for c in checks:
        color = "#64748b" if c.gap is None else "#15803d" if c.ok else "#b91c1c"
        state = "na" if c.gap is None else "ok" if c.ok else "gap"
        out.append(f'<br><span class="rk-rbalance rk-rbalance-{state}" style="color:{color};font-weight:600">'
                   f"{esc(c.text()[:1].upper() + c.text()[1:])}</span>")
    return "".join(out)


def _td(html_text: str, cls: str = "") -> str:
    return f'<td class="{cls}">{html_text}</td>' if cls else f"<td>{html_text}</td>"


class StatementImport:
    """The "Importer un relevé bancaire" panel (CSV, OFX, QIF, CFONB 120): upload, lines to ignore, proposal
    with a checkbox per pair, what is left on each side, and one "Pointer" button."""

    def __init__(self, ctx: Context, on_done=None):
        self.ctx = ctx
        self.on_done = on_done
        self.upload = W.FileUpload(accept=ACCEPT, multiple=False, description="Choisir le relevé",
                                   layout=W.Layout(width="auto"))
        self.upload.add_class("rk-rupload")
        self.ignore = W.Textarea(value="", placeholder="ex. VIREMENT AUTOMATIQUE OCCE",
                                 continuous_update=False, layout=W.Layout(width="330px", height="52px"))
        self.ignore.add_class("rk-rignore")
        self.analyse_btn = button("Analyser à nouveau", cls="rk-ranalyse", icon="refresh")
        self.summary = W.HTML()
        self.summary.add_class("rk-rsummary")
        self.matches = W.VBox(layout=W.Layout(max_height="320px", overflow_y="auto"))
        self.matches.add_class("rk-rmatches")
        self.others = W.HTML()
        self.others.add_class("rk-rothers")
        self.date = DateField("rk-rdate")
        name_input(self.date.box, "Date du relevé")
        self.apply_btn = button("Pointer les lignes cochées", "primary", "rk-rapply", icon="check")
        self.status = W.HTML()
        self.status.add_class("rk-rstatus")
        self.checks: list[tuple[W.Checkbox, object]] = []
        self.matching = None
        self._data: bytes | None = None
        self._name = ""
        self._unticked: set[tuple[int, int]] = set()  # (statement line, entry id) the user unticked
        self._dirty = False
        ctx.on_change(self._books_changed)
        self.upload.observe(self._uploaded, "value")
        self.ignore.observe(lambda _c: self._data is not None and self.analyse(), "value")
        self.analyse_btn.on_click(lambda _b: self.analyse())
        self.apply_btn.on_click(lambda _b: self.submit())
        self.box = W.VBox([
            W.HTML('<div class="rk-title">Importer un relevé bancaire</div><div class="rk-help">Téléchargez '
                   'les opérations du relevé depuis la banque en ligne (CSV, OFX, QIF ou CFONB), puis choisissez le '
                   'fichier : '
                   'chaque ligne du relevé est rapprochée de la ligne du cahier de même montant (numéro de chèque, '
                   'sinon date la plus proche). Un chèque de l’exercice précédent encaissé après le 31 août est reconnu : '
                   'il est déjà au cahier de cet exercice-là, ne le saisissez pas une deuxième fois. '
                   'Vérifiez, décochez au besoin, puis pointez.</div>'),
            W.HBox([W.VBox([W.HTML('<div class="rk-lbl">Fichier du relevé</div>'), self.upload]),
                    W.VBox([W.HTML('<div class="rk-lbl">Lignes à ignorer (une par ligne, facultatif)</div>'),
                            self.ignore], layout=W.Layout(margin="0 0 0 16px")),
                    self.analyse_btn], layout=W.Layout(align_items="flex-end")),
            self.summary, self.matches,
            W.HBox([W.VBox([W.HTML('<div class="rk-lbl">Date du relevé</div>'), self.date.box]), self.apply_btn],
                   layout=W.Layout(align_items="flex-end")),
            self.status, self.others])
        self.box.add_class("rk-card")
        self.box.add_class("rk-releve")
        self._lock_state()

    # -- reading the file ----------------------------------------------------------------
    def patterns(self) -> list[str]:
        return [p.strip() for p in (self.ignore.value or "").splitlines() if p.strip()]

    def _uploaded(self, change) -> None:
        got = _uploaded_file(change["new"])
        if got is None:
            return
        self._name, self._data = got
        self._unticked.clear()
        self.upload.value = ()  # ready for the next file (or the same one, corrected)
        self.analyse(new_file=True)

    def analyse(self, new_file: bool = False) -> None:
        """Propose the pointage for the file last chosen (after a change of file, of the
        lines to ignore, or of the books)."""
        if self._data is None:
            self.status.value = ko_html("Choisissez d'abord le fichier du relevé.")
            return
        self._dirty = False
        problems = []
        ok, m = attempt(lambda: svc.propose(self.ctx.books, self.ctx.coop, self.ctx.exercice, self._data,
                                            self.patterns()), self.status, on_problems=lambda e: problems.extend(e.problems))
        if not ok:
            self.matching = None
            if problems:  # each problem with its line: "ligne 12 : date « 31/02/2026 » …"
                self.status.value = ko_html([str(p) for p in problems],
                                            title=f"{self._name} n’a pas pu être lu, rien n’a été pointé :")
            self._render()
            return
        self.matching = m
        if new_file or self.date.empty:
            self.date.value = m.last_date
        self.status.value = ""
        self._render()

    # -- drawing -------------------------------------------------------------------------
    def _render(self) -> None:
        m = self.matching
        if m is None:
            self.summary.value, self.others.value = "", ""
            self.matches.children, self.checks = [], []
            self._lock_state()
            return
        period = (f" du {fdate(m.first_date)} au {fdate(m.last_date)}" if m.first_date != m.last_date
                  else f" du {fdate(m.last_date)}")
        s = "s" if len(m.pairs) > 1 else ""
        counts = [f"<b>{len(m.pairs)} ligne{s} rapprochée{s}</b>"]
        if m.earlier_pairs:
            n = len(m.earlier_pairs)
            locked = sum(1 for p in m.earlier_pairs if p.locked)
            years = sorted({p.exercice for p in m.earlier_pairs}) or [m.earlier_exercice]
            which = (f"de l’exercice {esc(years[0])}" if len(years) == 1 else
                     "des exercices " + ", ".join(esc(y) for y in years))
            state = (" : rien à saisir, rien à pointer)" if locked == n else
                     f", à pointer ; {locked} sur un relevé d’avant la fin de son exercice : rien à pointer)"
                     if locked else ", à pointer)")
            counts.append(f"<b>{n} {which}</b> (déjà au cahier de cet exercice{state}")
        counts += [f"{len(m.unmatched)} sans écriture au cahier",
                  f"{len(m.already)} déjà pointée{'s' if len(m.already) > 1 else ''}",
                  f"{len(m.ignored)} ignorée{'s' if len(m.ignored) > 1 else ''}"]
        fmt = f" ({esc(m.format)})" if m.format else ""
        self.summary.value = (f'<div class="rk-info">{esc(self._name)} : {plural(m.line_count, "opération")}{period}'
                              f"{fmt} · crédits {esc(eur(m.credits))} · débits {esc(eur(m.debits))}<br>"
                              f"{' · '.join(counts)}{_checks_html(m.checks)}</div>")
        rows: list[W.Widget] = []
        checks = []
        if m.pairs or m.earlier_pairs:
            rows.append(W.HTML(
                f'<div style="{_ROW};font-weight:600;color:#334155;padding-left:34px">'
                f'<span style="width:{_W_DATE};flex:none">Date</span>'
                f'<span style="width:{_W_LIB};flex:none">Libellé du relevé</span>'
                f'<span style="width:{_W_AMOUNT};flex:none;text-align:right">Montant</span>'
                '<span>→ pièce proposée (raison)</span></div>'))
        for p in m.pairs + m.earlier_pairs:
            e = p.entry
            badge = _earlier_badge(p.exercice) + " " if p.exercice else ""
            proposal = (f'<span>→ {badge}<b>{esc(e.piece)}</b> du {fdate(e.date)} · {esc(e.libelle[:45])} '
                        f'<span class="rk-pill">{esc(p.reason)}</span></span>')
            line = W.HTML(f'<div style="{_ROW}">{_cells(p.line.date, p.line.libelle, p.line.amount_cents)}'
                          f"{proposal}</div>")
            if p.locked:
                # per pair: a line of a submitted or closed exercice on a statement line dated on or
                # before its end cannot be pointed (its CRF as of 31/08 would change); the same
                # exercice's line on a later statement line can (a late pointage, services/pointage.py)
                line.add_class("rk-rinfo")
                rows.append(W.HBox([W.HTML('<span style="width:28px;display:inline-block;text-align:center;'
                                           'color:#64748b">—</span>'), line],
                                   layout=W.Layout(align_items="center")))
                continue
            cb = W.Checkbox(value=(p.line.line_no, e.id) not in self._unticked, indent=False,
                            layout=W.Layout(width="28px"))
            cb.add_class("rk-rcheck")
            cb.observe(lambda c, key=(p.line.line_no, e.id): self._ticked(key, c["new"]), "value")
            checks.append((cb, p))
            rows.append(W.HBox([cb, line], layout=W.Layout(align_items="center")))
        if not m.pairs and not m.earlier_pairs:
            rows.append(W.HTML('<div class="rk-help">Aucune ligne du relevé ne correspond à une ligne non pointée '
                               'du cahier.</div>'))
        self.checks = checks
        self.matches.children = rows
        self.others.value = self._others_html(m)
        self._lock_state()

    def _others_html(self, m) -> str:
        parts = [
            _table("Lignes du relevé sans écriture au cahier", ["Date", "Libellé", "Montant", "Que faire ?"],
                   [[_td(fdate(u.line.date)), _td(esc(u.line.libelle)),
                     _td(esc(eur(u.line.amount_cents, signed=True)), "n"), _td(esc(u.hint[:1].upper() + u.hint[1:]))]
                    for u in m.unmatched]),
            _table("Lignes non pointées du cahier restantes", ["Pièce", "Date", "Libellé", "Montant", ""],
                   [[_td(f"<b>{esc(e.piece)}</b>"), _td(fdate(e.date)), _td(esc(e.libelle)),
                     _td(esc(eur(e.bank, signed=True)), "n"),
                     _td('<span class="rk-help">postérieure au relevé</span>'
                         if m.last_date and e.date > m.last_date else "")]
                    for e in m.remaining],
                   "Elles ne figurent pas (encore) sur ce relevé : ce sont les lignes du tableau de rapprochement."),
            _table(f"Lignes non pointées de l’exercice {m.earlier_exercice} restantes", ["Pièce", "Date", "Libellé",
                                                                                      "Montant"],
                   [[_td(f"<b>{esc(e.piece)}</b>"), _td(fdate(e.date)), _td(esc(e.libelle)),
                     _td(esc(eur(e.bank, signed=True)), "n")] for e in m.earlier_remaining],
                   "Toujours en attente à la banque depuis l’exercice précédent (chèque pas encore encaissé…) : "
                   "elles ne figurent pas sur ce relevé. Ne les saisissez pas dans cet exercice."),
            _table("Lignes du relevé déjà pointées au cahier", ["Date", "Libellé", "Montant", "Pièce"],
                   [[_td(fdate(p.line.date)), _td(esc(p.line.libelle)), _td(esc(eur(p.line.amount_cents, signed=True)), "n"),
                     _td(f"<b>{esc(p.entry.piece)}</b>"
                         + (f" de l’exercice {esc(p.exercice)}" if p.exercice else "")
                         + (f" (relevé du {fdate(p.entry.statement_date)})" if getattr(p.entry, "statement_date", None)
                            else ""))]
                    for p in m.already], "Rien à faire : ne les saisissez pas une deuxième fois."),
            _table("Lignes ignorées", ["Date", "Libellé", "Montant"],
                   [[_td(fdate(ln.date)), _td(esc(ln.libelle)), _td(esc(eur(ln.amount_cents, signed=True)), "n")]
                    for ln in m.ignored], "Elles correspondent à une des lignes à ignorer."),
        ]
        return "".join(parts)

    def _ticked(self, key: tuple[int, int], value: bool) -> None:
        if value:
            self._unticked.discard(key)
        else:
            self._unticked.add(key)
        self._lock_state()

    def checked_ids(self) -> list[int]:
        return [p.entry.id for cb, p in self.checks if cb.value]

    @property
    def locked(self) -> bool:
        return not self.ctx.exercice_obj().writable

    def _lock_state(self) -> None:
        """Inputs disabled on a submitted or closed exercice (``widgets/lock.py`` does the
        same for what is on screen when the lock is applied; this covers what is drawn
        later); the button says how many lines it will point."""
        locked = self.locked
        for w in (self.upload, self.ignore, self.analyse_btn, self.date):
            w.disabled = locked
        for cb, _p in self.checks:
            cb.disabled = locked
        n = sum(1 for cb, _p in self.checks if cb.value)
        self.apply_btn.description = ("Pointer la ligne cochée" if n == 1 else
                                      f"Pointer les {n} lignes cochées" if n else "Aucune ligne cochée")
        self.apply_btn.disabled = locked or n == 0

    # -- life cycle ----------------------------------------------------------------------
    def _books_changed(self, _what: str) -> None:
        self._dirty = True

    def refresh(self) -> None:
        """After a change of the books or of exercice: propose again (once) for the same file."""
        if self._dirty and self._data is not None:
            keep = self.status.value
            self.analyse()
            if self.matching is not None:
                self.status.value = keep
        else:
            self._lock_state()

    def submit(self) -> None:
        ids = self.checked_ids()
        if not ids:
            self.status.value = ko_html("Cochez au moins une ligne à pointer.")
            return
        earlier = sum(1 for cb, p in self.checks if cb.value and p.exercice)
        earlier_name = self.matching.earlier_exercice if self.matching is not None else ""
        ok, n = attempt(lambda: svc.apply(self.ctx.books, self.ctx.coop, self.ctx.exercice, ids,
                                          self.date.checked("date")), self.status)
        if not ok:
            return
        self.ctx.changed("entries")
        if self.on_done is not None:
            self.on_done()
        self.refresh()
        among = f" (dont {earlier} au cahier de l’exercice {earlier_name})" if earlier else ""
        self.status.value = ok_html(f"{n} ligne{'s' if n > 1 else ''} pointée{'s' if n > 1 else ''} sur le relevé "
                                    f"du {fdate(self.date.value)}{among}.")
