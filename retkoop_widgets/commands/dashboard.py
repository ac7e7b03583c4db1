"""``retkoop demo``: the README's "run" command — upgrade the schema, seed the demo coop
when the database has none, and serve the teacher dashboard with Voilà on 127.0.0.1."""
from __future__ import annotations

import sys

from . import french_help


def register(sub) -> None:
    p = sub.add_parser("demo", help="lancer le tableau de bord de démonstration (Voilà, 127.0.0.1)",
                       add_help=False)
    french_help(p)
    p.add_argument("--port", type=int, default=8866, help="port d'écoute (défaut : 8866)")
    p.set_defaults(func=cmd_demo)


def prepare(url: str | None = None) -> str:
    """Schema upgraded, demo seeded if empty; returns the resolved URL."""
    from ..services import Books
    from ..storage.db import resolve_url
    url = resolve_url(url)
    books = Books(url)
    books.init_schema()
    if not books.coops():
        from ..demo import seed_demo
        print("Base vide : création de la coopérative de démonstration « École des Tilleuls »…", flush=True)
        seed_demo(books)
    return url


def cmd_demo(args) -> int:
    from .. import dashboard_server
    url = prepare()
    proc = dashboard_server.start(url, args.port, demo=True, quiet=True)
    try:
        dashboard_server.wait_ready(args.port, proc=proc)
        print(f"Tableau de bord prêt : http://127.0.0.1:{args.port}/  (Ctrl-C pour arrêter)", flush=True)
        proc.wait()
    except KeyboardInterrupt:
        print("\nArrêt du tableau de bord.", file=sys.stderr)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except Exception:  # noqa: BLE001
                proc.kill()
    return 0 if proc.returncode in (0, -15, None) else 1
