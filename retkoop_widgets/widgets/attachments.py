"""Pièces justificatives: attach scans (PDF, JPEG, PNG) to an entry, list them, preview
or download them. The books check the bytes (not the name) and the size, and refuse in
French saying why; those sentences are shown as they are."""
from __future__ import annotations

import ipywidgets as W

from .common import (
    Context,
    Section,
    attempt,
    download_link,
    esc,
    eur,
    fdate,
    ko_html,
    name_input,
    ok_html,
    status_line,
    uploaded_files,
)

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class AttachmentsSection(Section):
    title = "Pièces justificatives"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.entry = W.Dropdown(layout=W.Layout(width="520px"))
        self.entry.add_class("rk-jentry")
        name_input(self.entry, "Pièce")
        self.upload = W.FileUpload(accept=ACCEPT, multiple=True, description="Joindre un fichier",
                                   layout=W.Layout(width="auto"))
        self.upload.add_class("rk-jupload")
        self.status = status_line("rk-jstatus")
        self.files = W.HTML()
        self.files.add_class("rk-jfiles")
        self.preview = W.Box()
        self.removals = W.VBox()  # one « Retirer » per file, then its confirmation
        self.removals.add_class("rk-jremovals")
        self.table = W.HTML()
        self.upload.observe(self._uploaded, "value")
        self.entry.observe(self._entry_changed, "value")
        top = W.VBox([
            W.HTML('<div class="rk-title">Joindre un justificatif à une pièce</div><div class="rk-help">'
                   'Facture, ticket de caisse, bordereau de remise : PDF, JPEG ou PNG, 10 Mo au plus. '
                   'Gardez les originaux papier.</div>'),
            W.HBox([self.entry, self.upload, W.HTML('<span class="rk-help rk-jlimit">10 Mo au plus par fichier '
                                                     '(PDF, JPEG ou PNG ; sur un téléphone : une photo)</span>')],
                   layout=W.Layout(align_items="center")),
            self.status, self.files, self.removals, self.preview])
        top.add_class("rk-card")
        lst = W.VBox([W.HTML('<div class="rk-title">Pièces de l’exercice et leurs justificatifs</div>'), self.table])
        lst.add_class("rk-card")
        self.root = W.VBox([top, lst])
        self._att = {}

    def refresh(self) -> None:
        ctx = self.ctx
        entries = list(reversed(ctx.entries()))
        self._att = ctx.books.attachments(ctx.coop, ctx.exercice)
        opts = [(f"{e.piece} · {fdate(e.date)} · {e.libelle[:45]} · {eur(e.amount)}"
                 + (f" · {len(self._att.get(e.id, []))} fichier(s)" if self._att.get(e.id) else ""), e.id)
                for e in entries]
        keep = self.entry.value
        self.entry.options = opts
        ids = [v for _, v in opts]
        self.entry.value = keep if keep in ids else (ids[0] if ids else None)
        with_files = [e for e in entries if self._att.get(e.id)]
        missing = sum(1 for e in entries if not self._att.get(e.id))
        rows = "".join(
            f"<tr><td><b>{esc(e.piece)}</b></td><td>{fdate(e.date)}</td><td>{esc(e.libelle)}</td>"
            f"<td>{esc(', '.join(a['filename'] for a in self._att[e.id]))}</td></tr>" for e in with_files[:200])
        rows = rows or "<tr><td colspan='4' class='rk-help'>Aucun justificatif joint pour l’instant.</td></tr>"
        self.table.value = (f"<div class='rk-help'>{len(with_files)} pièce(s) avec justificatif · {missing} sans</div>"
                            "<div class='rk-scroll' tabindex='0' role='region' aria-label='Pièces et justificatifs' style='max-height:260px'><table class='rk-table rk-jtable'><thead><tr>"
                            f"<th>Pièce</th><th>Date</th><th>Libellé</th><th>Fichiers</th></tr></thead><tbody>{rows}</tbody>"
                            "</table></div>")
        self._show_entry()
        self.stale = False

    def _entry_changed(self, _change) -> None:
        self.status.value = ""  # « ✔ joint à la pièce 043 » belongs to the entry it was said of
        self._show_entry()

    def _show_entry(self) -> None:
        eid = self.entry.value
        atts = self._att.get(eid, []) if eid is not None else []
        if not atts:
            self.files.value = '<div class="rk-help">Aucun fichier joint à cette pièce.</div>'
            self.preview.children = []
            self.removals.children = []
            return
        links = []
        img = None
        for a in atts:
            ok, got = attempt(lambda a=a: self.ctx.books.blob(self.ctx.coop, a["sha256"]), self.status)
            if not ok:
                continue
            mime, content = got
            links.append(download_link(content, a["filename"], mime, a["filename"]) +
                         f' <span class="rk-help">{len(content) // 1024 + 1} Ko · déposé par '
                         f'{esc(a["uploaded_by"])}</span>')
            if img is None and mime in ("image/png", "image/jpeg"):
                img = W.Image(value=content, format=mime.split("/")[1],
                              layout=W.Layout(max_width="360px", max_height="260px"))
        self.files.value = "<div class='rk-jlinks'>" + "<br>".join(links) + "</div>"
        self.preview.children = [img] if img is not None else []
        self.removals.children = [self._remove_button(eid, a) for a in atts]

    def _remove_button(self, entry_id: int, a: dict) -> W.Widget:
        b = W.Button(description=f"Retirer « {a['filename'][:40]} »", icon="trash",
                     tooltip=f"retirer {a['filename']} de cette pièce", layout=W.Layout(width="auto"))
        b.add_class("rk-jremove")
        b.on_click(lambda _b: self._ask_remove(entry_id, a))
        return b

    def _ask_remove(self, entry_id: int, a: dict) -> None:
        e = self.ctx.entry_by_id(entry_id)
        yes = W.Button(description="Oui, retirer", button_style="danger", layout=W.Layout(width="auto"))
        yes.add_class("rk-jremove-yes")
        no = W.Button(description="Annuler", layout=W.Layout(width="auto"))
        box = W.HBox([W.HTML(f"<b>Retirer « {esc(a['filename'])} » de la pièce {esc(e.piece if e else '')} ? "
                             "Le retrait est tracé dans l'historique.</b>"), yes, no],
                     layout=W.Layout(align_items="center"))
        box.add_class("rk-confirm")
        no.on_click(lambda _b: self._show_entry())

        def go(_b):
            ok, name = attempt(lambda: self.ctx.books.detach(entry_id, a["id"]), self.status)
            if ok:
                self.ctx.changed("attachments")
                self.refresh()
                self.status.value = ok_html(f"{name} retiré de la pièce {e.piece if e else ''}")
        yes.on_click(go)
        self.removals.children = [box]

    def _uploaded(self, change) -> None:
        files = uploaded_files(change["new"])
        if not files:
            return
        eid = self.entry.value
        if eid is None:
            self.status.value = ko_html("Choisissez d'abord la pièce à laquelle joindre le fichier.")
            return
        e = self.ctx.entry_by_id(eid)
        msgs_ok, msgs_ko = [], []
        for name, content in files:
            ok, _ = attempt(lambda name=name, content=content: self.ctx.books.attach(eid, name, content),
                            self.status)
            if ok:
                msgs_ok.append(name)
            else:
                msgs_ko.append(self.status.value)
        self.upload.value = ()  # ready for the next file
        if msgs_ok:
            self.ctx.changed("attachments")
            self.refresh()
        html = ""
        if msgs_ok:
            html += ok_html(f"{', '.join(msgs_ok)} joint{'s' if len(msgs_ok) > 1 else ''} à la pièce "
                            f"{e.piece if e else ''}")
        self.status.value = html + "".join(msgs_ko)
