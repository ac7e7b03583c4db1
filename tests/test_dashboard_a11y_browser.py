"""Every section of the dashboard passes an axe-core audit (no serious or critical
violation: names on every input, contrast, images described) and is usable on a school
laptop, a tablet and a phone (no horizontal scroll; the entry form fits). Real Voilà,
real Chromium; axe-core comes from the npm package installed by ``./dev test``.

``RETKOOP_SCREENSHOTS=docs/screenshots ./dev test tests/test_dashboard_a11y_browser.py``
also writes each section's screenshot at each width (``docs/screenshots/``)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
SECTIONS = ["Saisie", "Cahier", "Caisse", "Subventions", "Pièces justificatives", "Bilan", "Exports", "Inventaire",
            "Historique"]
WIDTHS = {"ordinateur": 1366, "tablette": 768, "telephone": 390}
SHOTS = os.environ.get("RETKOOP_SCREENSHOTS")
# What shows that a section is drawn (sections are built in the kernel on their first visit):
# the audit and the measures wait for it instead of a fixed pause.
READY = {"Saisie": ".rk-valider", "Cahier": ".rk-cahier", "Caisse": ".rk-ctotal", "Subventions": ".rk-ssave",
         "Pièces justificatives": ".rk-jentry", "Bilan": ".rk-bilan-charts svg", "Exports": ".rk-ecrf",
         "Inventaire": ".rk-isave", "Historique": ".rk-history-table"}


def show(page, name: str) -> None:
    page.locator(".lm-TabBar-tab", has_text=name).first.click()
    page.locator(READY[name]).first.wait_for(state="visible", timeout=60000)
    page.wait_for_timeout(200)


@pytest.fixture(scope="module")
def server():
    from retkoop_widgets.demo import seed_demo
    from retkoop_widgets.devtools.voila import dashboard_server
    with dashboard_server((18900, 18919), seed=lambda b: seed_demo(b, extra_coops=False)) as (url, _db):
        yield url


def audit(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const r = await axe.run(document.querySelector('.rk-app'), {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map(n => n.html.slice(0, 90)).join(' | ')}`);
    }""")
    return found


def test_axe_core_finds_no_serious_violation_in_any_section(browser, server):
    assert AXE.is_file(), "axe-core absent : ./dev test l'installe (tests/js)"
    from retkoop_widgets.devtools.voila import open_dashboard
    page = open_dashboard(browser, server)
    problems = {}
    for name in SECTIONS:
        show(page, name)
        found = audit(page)
        if found:
            problems[name] = found
    page.context.close()
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.parametrize("device", list(WIDTHS))
def test_every_section_fits_the_screen(browser, server, device):
    from retkoop_widgets.devtools.voila import open_dashboard
    width = WIDTHS[device]
    page = open_dashboard(browser, server, width=width, height=900)
    for name in SECTIONS:
        show(page, name)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} à {width} px : défilement horizontal ({scroll} px)"
        if name == "Saisie":  # the whole entry form is within the screen's width
            right = page.evaluate("Math.max(...[...document.querySelectorAll('.rk-entry-form input, "
                                  ".rk-entry-form select, .rk-entry-form button')].map(e => e.getBoundingClientRect().right))")
            assert right <= width, f"formulaire de saisie plus large que l'écran ({right} > {width})"
        if SHOTS:
            folder = Path(SHOTS)
            folder.mkdir(parents=True, exist_ok=True)
            slug = name.lower().replace(" ", "-").replace("è", "e").replace("é", "e")
            page.screenshot(path=str(folder / f"{slug}-{device}.png"), full_page=True)
    page.context.close()
