"""Attachments (pièces justificatives): files stored once by SHA-256, linked to entries
(or to a subsidy as its proof), served only to the coop that links them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain import attachment as att
from ..domain.errors import Conflict, NotFound
from .entries import for_write
from .guard import reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def store_blob(books: "Books", filename: str, content: bytes) -> str:
    """Check and store a file's bytes once (by SHA-256); returns the hash."""
    mime, digest = att.check(filename, content)
    with writing(books) as w:
        w.repo.add_blob(digest, mime, content)
    return digest


def attach(books: "Books", entry_id: int, filename: str, content: bytes) -> str:
    filename = att.clean_filename(filename)
    mime, digest = att.check(filename, content)
    with writing(books) as w:
        e = for_write(w, entry_id, None).entry
        w.repo.add_blob(digest, mime, content)
        exists = w.repo.attachment_name(entry_id, digest)
        if exists:
            raise Conflict(f"ce fichier est déjà joint à la pièce {e.piece} (sous le nom {exists})")
        w.repo.add_attachment(entry_id, digest, filename, books.actor.login, books.now())
        w.audit("attach", "entry", entry_id,
                after={"fichier": filename, "sha256": digest, "type": mime, "taille": len(content)})
    return digest


def detach(books: "Books", entry_id: int, attachment_id: int, reason: str = "") -> str:
    """Remove one pièce justificative from an entry (the file stays in the audit trail and in
    the blob store: the history can still show it). Returns the removed file's name."""
    with writing(books) as w:
        e = for_write(w, entry_id, None).entry
        found = next((a for a in w.repo.attachments([entry_id]).get(entry_id, []) if a.id == attachment_id), None)
        if found is None:
            raise NotFound(f"ce fichier n'est plus joint à la pièce {e.piece}")
        w.repo.remove_attachment(attachment_id)
        w.audit("detach", "entry", entry_id, before={"fichier": found.filename, "sha256": found.sha256},
                reason=reason)
        return found.filename


def attachments(books: "Books", coop: str, name: str) -> dict[int, list[dict]]:
    with reading(books, coop, name) as r:
        ids = [e.id for e in r.repo.entries(r.exercice.id)]
        return {k: [{"id": a.id, "filename": a.filename, "sha256": a.sha256, "uploaded_by": a.uploaded_by,
                     "uploaded_at": a.uploaded_at} for a in v]
                for k, v in r.repo.attachments(ids).items()}


def blob(books: "Books", coop: str, sha256: str) -> tuple[str, bytes]:
    """A file's (mime, bytes), only if it is linked to this coop (no guessing other coops' files)."""
    with reading(books, coop) as r:
        found = r.repo.blob_of_coop(coop, sha256)
        if found is None:
            raise NotFound("pièce justificative introuvable")
        return found
