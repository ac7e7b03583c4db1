"""Rendering the reports of every coop of an AD, in parallel worker processes.

Why processes, each with ONE kernel reused for all its coops: WeasyPrint layout and the
kernel's pandas/matplotlib work are CPU-bound Python (threads would share one GIL), and
a kernel start costs ~1.5–3 s, so a worker starts one and runs notebook after notebook
in it. A coop that fails (exercice missing, data that does not render) is reported
with its French message and the others go on; a kernel that died is restarted.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence, TextIO

FILE_NAMES = {"crf": "CRF_{coop}_{exercice}.pdf", "cahier": "Cahier_{coop}_{exercice}.pdf"}


@dataclass(frozen=True)
class CoopResult:
    coop: str
    ok: bool
    path: str = ""
    message: str = ""
    seconds: float = 0.0


@dataclass
class BatchResult:
    results: list[CoopResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[CoopResult]:
        return [r for r in self.results if not r.ok]

    @property
    def succeeded(self) -> list[CoopResult]:
        return [r for r in self.results if r.ok]

    def summary(self) -> str:
        n, ok = len(self.results), len(self.succeeded)
        lines = [f"{ok} document(s) produit(s) sur {n} en {self.seconds:.1f} s"
                 + (f" ({n / self.seconds:.2f} coop/s)" if self.seconds and n else "")]
        if self.failed:
            lines.append(f"{len(self.failed)} échec(s) :")
            lines += [f"  - {r.coop} : {r.message}" for r in self.failed]
        return "\n".join(lines)


def _worker(db_url: str | None, kind: str, exercice: str, out_dir: str, tasks, results) -> None:
    """Worker process: one kernel, many coops; every outcome goes back on ``results``."""
    from ..domain.errors import RetkoopError
    from .runner import ReportKernel, pdf_exporter, to_pdf
    kernel = None
    try:
        for coop in iter(tasks.get, None):
            t = time.perf_counter()
            try:
                if kernel is None or not kernel.alive():
                    if kernel is not None:
                        kernel.close()
                    kernel = ReportKernel(db_url)
                    pdf_exporter()  # overlaps with the kernel's start
                pdf = to_pdf(kernel.execute(kind, coop=coop, exercice=exercice))
                path = Path(out_dir) / FILE_NAMES[kind].format(coop=coop, exercice=exercice)
                tmp = path.with_suffix(".part")
                tmp.write_bytes(pdf)
                os.replace(tmp, path)
                results.put(CoopResult(coop, True, str(path), seconds=time.perf_counter() - t))
            except RetkoopError as e:
                results.put(CoopResult(coop, False, message=str(e), seconds=time.perf_counter() - t))
            except Exception as e:  # a bug or a dead kernel: reported, the batch goes on
                msg = (str(e).splitlines() or [type(e).__name__])[0]
                if db_url:
                    msg = msg.replace(db_url, "<base>")
                results.put(CoopResult(coop, False, message=f"erreur inattendue ({type(e).__name__}) : {msg}",
                                       seconds=time.perf_counter() - t))
    finally:
        if kernel is not None:
            kernel.close()


def progress_bar(stream: TextIO) -> Callable[[int, int, CoopResult], None]:
    """A bar redrawn in place on a terminal; one line per coop when redirected to a file."""
    tty = getattr(stream, "isatty", lambda: False)()

    def show(done: int, total: int, last: CoopResult) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        mark = "ok" if last.ok else "ÉCHEC"
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {last.coop} {mark}"
        if tty:
            stream.write(f"\r{line}\x1b[K" + ("\n" if done == total else ""))
        else:
            stream.write(line + "\n")
        stream.flush()
    return show


def render_many(coops: Sequence[str], exercice: str, out_dir: str | Path, *, kind: str = "crf",
                workers: int = 2, db_url: str | None = None,
                progress: Callable[[int, int, CoopResult], None] | None = None) -> BatchResult:
    """Render ``kind`` for each coop into ``out_dir``; never raises for one coop's failure."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ctx = mp.get_context("spawn")  # no forked SQLAlchemy pools or zmq sockets
    tasks, results = ctx.Queue(), ctx.Queue()
    for c in coops:
        tasks.put(c)
    n = max(1, min(workers, len(coops)))
    for _ in range(n):
        tasks.put(None)
    procs = [ctx.Process(target=_worker, args=(db_url, kind, exercice, str(out), tasks, results), daemon=True)
             for _ in range(n)]
    for p in procs:
        p.start()
    batch = BatchResult()
    pending = set(coops)
    try:
        while pending:
            try:
                r = results.get(timeout=5)
            except queue.Empty:  # are the workers still alive?
                if not any(p.is_alive() for p in procs):
                    for c in sorted(pending):
                        batch.results.append(CoopResult(c, False, message="processus de rendu interrompu"))
                    break
                continue
            pending.discard(r.coop)
            batch.results.append(r)
            if progress:
                progress(len(batch.results), len(coops), r)
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
    batch.seconds = time.perf_counter() - started
    order = {c: i for i, c in enumerate(coops)}
    batch.results.sort(key=lambda r: order.get(r.coop, 0))
    return batch


def render_ad(books, ad: str, exercice: str, out_dir: str | Path, *, kind: str = "crf", workers: int = 2,
              progress: Callable | None = None) -> BatchResult:
    """Every (non-training) coop of ``ad`` that ``books``' actor may read."""
    from .runner import plain_url
    coops = [c["code"] for c in books.coops(ad, include_training=False)]
    if not coops:
        from ..domain.errors import NotFound
        raise NotFound(f"aucune coopérative dans l'AD « {ad} »")
    return render_many(coops, exercice, out_dir, kind=kind, workers=workers, db_url=plain_url(books.engine),
                       progress=progress)


if __name__ == "__main__":  # pragma: no cover - manual runs
    print("utilisez : retkoop report --ad AD76 2025-2026 --format pdf --out-dir DOSSIER", file=sys.stderr)
