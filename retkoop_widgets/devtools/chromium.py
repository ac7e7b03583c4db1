"""Launch Debian's Chromium headless through Playwright, the one way that works here.

* Playwright's own browser download cannot work offline: use ``/usr/bin/chromium``
  (``RETKOOP_CHROMIUM`` overrides it) through ``executable_path``.
* As root and without a network, Chromium needs these flags, or it fails to start or
  floods the closed network with connections.
* French users see dates as jj/mm/aaaa because their browser runs in French: the
  renderer takes its locale from ``LANGUAGE``/``LANG`` (with Debian's chromium-l10n), not
  from Playwright's ``locale`` option, so we set both.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

from ..settings import settings

CHROMIUM = settings().chromium  # RETKOOP_CHROMIUM, read through the one Settings
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--lang=fr-FR"]
FRENCH_ENV = {"LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"}


def launch(playwright, **kwargs):
    """A headless Chromium browser speaking French."""
    env = dict(os.environ, **FRENCH_ENV, HOME=os.environ.get("HOME") or tempfile.gettempdir())
    return playwright.chromium.launch(executable_path=settings().chromium, args=ARGS, env=env, headless=True, **kwargs)


def new_page(browser, width: int = 1366, height: int = 768):
    """A page in a fresh French context at a school laptop's screen size."""
    ctx = browser.new_context(locale="fr-FR", viewport={"width": width, "height": height})
    return ctx.new_page()


@contextmanager
def french_browser(**kwargs):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = launch(p, **kwargs)
        try:
            yield browser
        finally:
            browser.close()
