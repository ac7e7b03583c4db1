"""« Reprendre un cahier tableur »: a coop starting mid-year brings its spreadsheet cahier
(the OCCE's Excel/LibreOffice workbook, or a CSV saved from it).

Why a mapping step a person confirms: workbooks differ (merged headers, account columns
titled by code or by label, totals rows), so ``io.spreadsheet`` *guesses* what each column
holds, the teacher sees the guess beside the first lines as they would be imported, corrects
a column if needed, and only then imports, all or nothing, every problem located (sheet,
row, column). The same functions serve ``retkoop import`` on the command line.
"""
from __future__ import annotations

import ipywidgets as W

from ..domain.errors import RetkoopError, ValidationError
from ..io import spreadsheet as ss
from .common import Context, attempt, button, esc, ko_html, name_input, ok_html, status_line, uploaded_files

ACCEPT = ".xlsx,.ods,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet," \
         "application/vnd.oasis.opendocument.spreadsheet,text/csv"
SHOWN_PROBLEMS = 30
GUESSED = "Reconnues d’après les titres des colonnes"


class TakeoverImport:
    def __init__(self, ctx: Context, on_done):
        self.ctx, self.on_done = ctx, on_done
        self.grid = None
        self.mapping: ss.Mapping | None = None
        self.filename = ""
        self.upload = W.FileUpload(accept=ACCEPT, multiple=False, description="Choisir le cahier",
                                   layout=W.Layout(width="auto"))
        self.upload.add_class("rk-mupload")
        self.columns = W.VBox()
        self.columns.add_class("rk-mcolumns")
        self.preview = W.HTML()
        self.preview.add_class("rk-mpreview")
        self.apply_btn = button("Importer les écritures", "primary", "rk-mapply", icon="upload")
        self.apply_btn.disabled = True
        self.status = status_line("rk-mstatus")
        # the mappings the coop's AD saved (services.mappings): offered once a file is read
        self.saved = W.Dropdown(options=[(GUESSED, "")], value="", layout=W.Layout(width="360px"))
        self.saved.add_class("rk-msaved")
        name_input(self.saved, "Colonnes")
        self.saved_box = W.VBox([W.HTML('<div class="rk-lbl">Colonnes enregistrées par l’AD</div>'), self.saved],
                                layout=W.Layout(display="none"))
        self._saved: dict = {}
        self._guessed: ss.Mapping | None = None
        # a workbook with the cahier on several sheets (Comptacoop « Produits » / « Charges »,
        # « Banque » / « Caisse »): one mapping per sheet, edited one at a time, one cahier
        self.sheets: list[ss.Mapping] = []
        self._guessed_sheets: list[ss.Mapping] = []
        self._sheet = 0
        self.sheet_pick = W.ToggleButtons(options=[], layout=W.Layout(width="auto"))
        self.sheet_pick.add_class("rk-msheets")
        self.sheet_box = W.VBox([W.HTML('<div class="rk-lbl">Feuilles du cahier (importées ensemble, par date) : '
                                        'vérifiez les colonnes de chacune</div>'), self.sheet_pick],
                                layout=W.Layout(display="none"))
        self.sheet_pick.observe(lambda c: self._sheet_chosen(c["new"]), "value")
        self.saved.observe(lambda c: self._saved_chosen(c["new"]), "value")
        self.upload.observe(self._uploaded, "value")
        self.apply_btn.on_click(lambda _b: self.apply())
        self.box = W.VBox([
            W.HTML('<div class="rk-title">Reprendre un cahier tenu dans un tableur</div><div class="rk-help">'
                   'Classeur Excel (.xlsx), LibreOffice (.ods) ou CSV. Retkoop reconnaît les colonnes d’après '
                   'leurs titres ; vérifiez-les sur l’aperçu, corrigez si besoin, puis importez : tout ou '
                   'rien, chaque problème est situé (feuille, ligne, colonne).</div>'),
            self.upload, self.status, self.saved_box, self.sheet_box, self.columns, self.preview, self.apply_btn])
        self.box.add_class("rk-card")
        self.box.add_class("rk-reprise")

    # -- reading and guessing -----------------------------------------------------------
    def _uploaded(self, change) -> None:
        files = change["new"] or ()
        if not files:
            return
        [(name, content)] = uploaded_files(files[:1], "cahier")
        self.upload.value = ()
        self.load(name, content)

    def load(self, filename: str, content: bytes) -> None:
        """Read a workbook and show the guessed columns and the preview."""
        self.status.value = ""
        self.grid, self.mapping, self.filename = None, None, filename
        ok, grid = attempt(lambda: ss.read_grid(content, filename), self.status)
        if not ok:
            self._clear()
            return
        ok, mappings = attempt(lambda: ss.guess_mappings(grid, self.ctx.chart()), self.status)
        if not ok:
            self._clear()
            return
        mapping = mappings[0]
        self.grid, self.mapping, self._guessed = grid, mapping, mapping
        self._guessed_sheets = list(mappings)
        self._set_sheets(mappings)
        ok, saved = attempt(lambda: self.ctx.books.column_mappings(self.ctx.coop), self.status)
        self._saved = saved if ok else {}
        self.saved.options = [(GUESSED, "")] + [(name, name) for name in self._saved]
        self.saved.value = ""
        self.saved_box.layout.display = "" if self._saved else "none"
        self._draw_columns()
        self._draw_preview()

    def _saved_chosen(self, name: str) -> None:
        """A mapping the AD saved replaces the guess (and the guess comes back with « "" »)."""
        if self.grid is None:
            return
        if name:  # a saved mapping describes one sheet
            self._set_sheets([self._saved[name]])
        else:
            self._set_sheets(self._guessed_sheets)
        self.mapping = self.sheets[0]
        self.status.value = ""
        self._draw_columns()
        self._draw_preview()

    def _set_sheets(self, mappings) -> None:
        self.sheets, self._sheet = list(mappings), 0
        self.sheet_pick.options = [m.sheet or "feuille" for m in self.sheets]
        self.sheet_pick.index = 0 if self.sheets else None
        self.sheet_box.layout.display = "" if len(self.sheets) > 1 else "none"

    def _sheet_chosen(self, _name) -> None:
        """Another sheet of the workbook: its columns and preview (the current one kept)."""
        i = self.sheet_pick.index
        if self.grid is None or i is None or i == self._sheet or i >= len(self.sheets):
            return
        self.sheets[self._sheet] = self.mapping
        self._sheet, self.mapping = i, self.sheets[i]
        self.status.value = ""
        self._draw_columns()
        self._draw_preview()

    def _clear(self) -> None:
        self.columns.children = []
        self.preview.value = ""
        self.apply_btn.disabled = True

    def _role_options(self) -> list[tuple[str, str]]:
        fixed = [(label, key) for key, label in ss.ROLES.items() if key != "?"]
        accounts = [(f"compte {a.code} — {a.libelle}", a.code) for a in self.ctx.chart()
                    if a.classe in ("charge", "produit")]
        return [("? (à préciser)", "?")] + fixed + accounts

    def _draw_columns(self) -> None:
        options = self._role_options()
        values = {v for _, v in options}
        rows = []
        for c in self.mapping.columns:
            pick = W.Dropdown(options=options, value=c.role if c.role in values else "?",
                              layout=W.Layout(width="360px"))
            pick.add_class("rk-mrole")
            name_input(pick, f"Colonne {c.letter} ({c.header or 'sans titre'})")
            pick.observe(lambda ch, letter=c.letter: self._role_changed(letter, ch["new"]), "value")
            note = f'<span class="rk-help"> — {esc(c.note)}</span>' if c.note else ""
            label = W.HTML(f'<div style="width:330px"><b>{esc(c.letter)}</b> « {esc(c.header or "—")} »{note}</div>')
            rows.append(W.HBox([label, pick], layout=W.Layout(align_items="center")))
        head = W.HTML('<div class="rk-lbl">Colonnes reconnues (corrigez une colonne mal reconnue)</div>')
        self.columns.children = [head] + rows

    def _role_changed(self, letter: str, role: str) -> None:
        ok, mapping = attempt(lambda: self.mapping.with_role(letter, role), self.status)
        if ok:
            self.mapping = mapping
            if self.sheets:
                self.sheets[self._sheet] = mapping
            self.status.value = ""
            self._draw_preview()

    def _draw_preview(self) -> None:
        ok, rows = attempt(lambda: ss.preview(self.grid, self.mapping, self.ctx.chart()), self.status)
        if not ok:
            self.preview.value = ""
            self.apply_btn.disabled = True
            return
        cols = ["Ligne", "Pièce", "Date", "Libellé", "Banque entrée", "Banque sortie", "Caisse entrée",
                "Caisse sortie", "Ventilation"]
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(r.get(k, ''))}</td>" for k in cols)
            + f"<td>{esc(' ; '.join(r.get('Problèmes') or []))}</td></tr>" for r in rows)
        head = "".join(f"<th>{esc(k)}</th>" for k in cols) + "<th>Problèmes</th>"
        self.preview.value = (f'<div class="rk-lbl">Aperçu des premières lignes, telles qu’elles seront importées</div>'
                              f'<div class="rk-scroll" tabindex="0" role="region" aria-label="Aperçu">'
                              f'<table class="rk-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
        self.apply_btn.disabled = False

    # -- importing ----------------------------------------------------------------------
    def apply(self) -> None:
        if self.grid is None or self.mapping is None:
            self.status.value = ko_html("Choisissez d’abord le fichier du cahier.")
            return
        if self.sheets:
            self.sheets[self._sheet] = self.mapping
        drafts, problems = ss.to_drafts_many(self.grid, self.sheets or [self.mapping], self.ctx.chart())
        if problems:
            self._show_problems(problems)
            return
        ctx = self.ctx
        try:
            saved = ctx.books.import_drafts(ctx.coop, ctx.exercice, drafts, source=self.filename)
        except ValidationError as err:
            self._show_problems(err.problems)
            return
        except RetkoopError as err:
            self.status.value = ko_html(str(err))
            return
        except Exception:  # noqa: BLE001 - the boundary's sentence, with a reference
            from .boundary import report, unexpected_message
            self.status.value = ko_html(unexpected_message(report()))
            return
        ctx.changed("entries")
        self._clear()
        self.grid = self.mapping = None
        self._set_sheets([])
        self.status.value = ok_html(f"{len(saved)} écriture{'s' if len(saved) > 1 else ''} importée"
                                    f"{'s' if len(saved) > 1 else ''} depuis {self.filename}")
        if self.on_done:
            self.on_done()

    def _show_problems(self, problems) -> None:
        shown = [str(p) for p in problems[:SHOWN_PROBLEMS]]
        more = len(problems) - len(shown)
        if more > 0:
            shown.append(f"… et {more} autre{'s' if more > 1 else ''} problème{'s' if more > 1 else ''}")
        self.status.value = ko_html(shown, "Rien n’a été importé :")
