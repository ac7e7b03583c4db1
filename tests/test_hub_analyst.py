"""Analysts get a connection on which every write fails (SQLite and PostgreSQL).

The check runs in a separate Python process with exactly the environment the spawner gives
an analyst's server (``server_env``), as a JupyterLab kernel would have it.
"""
from __future__ import annotations

import json
import subprocess
import sys

from retkoop_widgets.hub.spawner import server_env
from retkoop_widgets.services.accounts import Profile

ATTEMPTS = r'''
import json
from sqlalchemy import create_engine, text
from retkoop_widgets.hub.analyst import analyst_books, analyst_engine
from retkoop_widgets.storage.db import resolve_url
import os
out = {}
def attempt(name, engine, sql):
    try:
        with engine.begin() as c:
            c.execute(text(sql))
        out[name] = "wrote"
    except Exception as e:
        out[name] = "refused: " + type(e).__name__
ro = analyst_engine()
attempt("insert", ro, "INSERT INTO ad (code, name) VALUES ('AD99', 'Pirate')")
attempt("update", ro, "UPDATE coop SET name = 'Pirate'")
if os.environ["RETKOOP_DB_URL"].startswith("postgresql"):
    # an analyst who ignores our helper and opens a plain engine on the URL they were given
    raw = create_engine(resolve_url(os.environ["RETKOOP_DB_URL"]))
    attempt("raw_insert", raw, "INSERT INTO ad (code, name) VALUES ('AD98', 'Pirate')")
    attempt("raw_update", raw, "UPDATE coop SET name = 'Pirate'")
books = analyst_books()
out["reads"] = len(books.coops())
try:
    books.add_coop("AD76-0998", "Pirate", "AD76")
    out["books_write"] = "wrote"
except Exception as e:
    out["books_write"] = "refused: " + type(e).__name__
print(json.dumps(out))
'''


def test_analyst_cannot_insert_or_update(books, db_url, tmp_path):
    from retkoop_widgets.hub.analyst import ensure_analyst_role
    analyst_url = ensure_analyst_role(db_url, tmp_path) if db_url.startswith("postgresql") else ""
    env = server_env(Profile("ana", "analyste", None, "AD76", "", False, True), db_url, analyst_url)
    assert env["RETKOOP_READ_ONLY"] == "1"
    r = subprocess.run([sys.executable, "-c", ATTEMPTS], env={**__import__("os").environ, **env},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["reads"] == 1  # the analyst reads the books…
    writes = {k: v for k, v in out.items() if k != "reads"}
    assert writes and all(v.startswith("refused") for v in writes.values()), out  # …and writes nothing
    if db_url.startswith("postgresql"):
        assert {"raw_insert", "raw_update"} <= set(writes)
    names = {c["name"] for c in books.coops()}
    assert "Pirate" not in names and {a for a, _ in books.ads()} == {"AD76"}
