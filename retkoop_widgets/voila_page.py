"""The Voilà page around every dashboard: French, titled for its reader, and offline.

Voilà's ``lab`` template says ``<html lang="en">``, titles the page after the notebook file
(« tableau_de_bord », « ad ») and asks a CDN for Font Awesome (the icons of ipywidgets'
buttons) on every load, which fails on a school network without internet. Our ``retkoop``
template extends ``lab`` and passes its ``<head>`` through one Jinja filter, ``page_head``:
the title becomes « Retkoop — École des Tilleuls » / « Retkoop — AD76 » and the icons come from
the Font Awesome copy that JupyterHub already installs (``share/jupyterhub/static/components``),
served by Voilà as the template's static files. ``lang="fr"`` is nbconvert's own setting
(``HTMLExporter.language_code``).

Voilà finds templates in ``<JUPYTER_PATH>/voila/templates/<name>``; ``template_root()`` makes
that folder once per server process (with a copy of the icons, 0,4 Mo, that a wheel need not carry) and
the server puts it first on ``JUPYTER_PATH``: ``dashboard_server`` for the standalone page,
``hub_config/singleuser_locked.py`` for the hub's servers.
"""
from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

TEMPLATE = "retkoop"
LANGUAGE = "fr"
FONT_AWESOME_CDN = re.compile(r"https://cdn\.jsdelivr\.net/npm/@fortawesome/fontawesome-free@[^/]+/css/")
TITLE = re.compile(r"<title>.*?</title>", re.S)

INDEX = """{%- extends 'lab/index.html.j2' -%}
{#- retkoop_widgets/voila_page.py: French title, icons served locally -#}
{%- block header -%}{{ super() | retkoop_page_head(resources.base_url) }}{%- endblock header -%}
{#- Mermaid diagrams are never in a dashboard: no script that could ask a CDN for them -#}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

#: What the server configuration sets (``voila.json`` for the standalone page, traitlets in
#: the hub's single-user config): the template, the filter, the page's language.
def exporter_config() -> dict:
    return {"VoilaConfiguration": {"template": TEMPLATE},
            "TemplateExporter": {"filters": {"retkoop_page_head": "retkoop_widgets.voila_page.page_head"}},
            "HTMLExporter": {"language_code": LANGUAGE}}


def font_awesome_dir() -> Path:
    """Font Awesome as JupyterHub ships it (a dependency of ours: no download, no CDN)."""
    from jupyterhub._data import DATA_FILES_PATH
    return Path(DATA_FILES_PATH) / "static" / "components" / "@fortawesome" / "fontawesome-free"


_ROOT: Path | None = None


def template_root() -> Path:
    """The folder to put first on ``JUPYTER_PATH`` (made once per process, private)."""
    global _ROOT
    if _ROOT is None:
        root = Path(tempfile.mkdtemp(prefix="retkoop-voila-page-"))
        folder = root / "voila" / "templates" / TEMPLATE
        (folder / "static").mkdir(parents=True)
        (folder / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
        (folder / "index.html.j2").write_text(INDEX, encoding="utf-8")
        icons = font_awesome_dir()
        if icons.is_dir():  # copied, not linked: tornado refuses to follow a link out of its root
            for part in ("css", "webfonts"):
                shutil.copytree(icons / part, folder / "static" / "fontawesome" / part)
        else:  # the page still works, without icons; never a CDN
            log.warning("Font Awesome introuvable (%s) : les boutons s'afficheront sans icône", icons)
        _ROOT = root
    return _ROOT


def use_template(env: dict | None = None) -> dict:
    """Put the template folder first on ``JUPYTER_PATH`` in ``env`` (default: this process)."""
    env = os.environ if env is None else env
    paths = [str(template_root())] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def page_head(markup: str, base_url: str = "/") -> str:
    """The Jinja filter: our title in ``<title>``, the local icons instead of the CDN's."""
    local = f"{base_url.rstrip('/')}/voila/templates/{TEMPLATE}/static/fontawesome/css/"
    out = FONT_AWESOME_CDN.sub(local, str(markup))
    return TITLE.sub(lambda _m: f"<title>{html.escape(page_title())}</title>", out, count=1)


@lru_cache(maxsize=1)
def page_title() -> str:
    """« Retkoop — <the coop's name> » for a mandataire, « Retkoop — AD76 » for the AD's
    staff, « Retkoop » when the identity says nothing more (or the books cannot be read:
    a title is never worth an error page)."""
    try:
        from .identity import current_actor
        actor = current_actor()
        if actor.coop:
            from .services.books import Books
            return f"Retkoop — {Books(None, actor, read_only=True).coop_info(actor.coop)['name']}"
        if actor.ad:
            return f"Retkoop — {actor.ad}"
    except Exception:  # noqa: BLE001 — the page renders with the plain title; the reason is logged
        log.warning("titre de page : identité ou coopérative illisible", exc_info=sys.exc_info())
    return "Retkoop"
