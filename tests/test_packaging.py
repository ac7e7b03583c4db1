"""The wheel, installed far from the checkout, is the whole product (issue 14 §1).

What it proves: a ``pip install`` of the wheel gives a working Retkoop, with no file of the
checkout: ``retkoop init``, the demo books, a CRF and a cahier in PDF (real PDFs naming the
coop), and ``retkoop hub --demo`` up to a mandataire logged in on the real dashboard in
Chromium. Everything is found inside the package (``settings.PACKAGE``); a resource
forgotten in ``pyproject.toml``'s package-data, or code reaching for ``parents[2]`` or the
current directory, fails here.

How the fresh environment is made, and why (fast and offline-safe, ~90 s in all):

* The wheel is built with ``pip wheel --no-deps`` from a copy of the sources in the
  temporary folder (so the checkout gets no ``build/`` or ``*.egg-info``). pip's isolated
  build environment needs only setuptools, which the configured package indexes and pip's
  cache provide; nothing else is downloaded.
* The virtual environment is created with ``python -m venv --without-pip`` on the suite's
  base Python, and the wheel is installed into it with the suite's pip (``pip --python``)
  and ``--no-deps --no-index``: a real install of OUR package (files, console script,
  entry points), in a second.
* Its dependencies are NOT installed again (a hundred and fifty packages: minutes, and
  downloads). ``--system-site-packages`` would not do: it shows the *base* Python's
  packages, not the suite's venv, and would bring the checkout along if the suite ran from
  the base. Instead the suite venv's site-packages is mirrored by a folder of symbolic links
  *without our own distribution* (no ``retkoop_widgets``, no ``retkoop-*.dist-info``, no
  editable-install finder or ``.pth`` — a plain path in a ``.pth`` file does not process
  the ``.pth`` files inside it, and we link none), named by a ``.pth`` in the new venv.
  The dependencies' console scripts (``jupyterhub``, ``configurable-http-proxy``…) are
  copied into the new ``bin/`` with their ``#!`` line pointing at the new Python, and their
  data and configuration files are linked (``share/jupyter``: Voilà's templates, the kernel
  spec; ``share/jupyterhub``: the Hub's static files; ``etc/jupyter``: server-extension
  switches): what a full ``pip install`` would have put there.
* Every command runs with the new venv's ``bin/`` first on ``PATH``, no ``PYTHONPATH``, a
  HOME and a working directory in the temporary folder. The test asserts that
  ``retkoop_widgets`` is imported from the new venv, that no ``sys.path`` entry lies in
  the checkout and that the checkout's test modules cannot be imported.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHECKOUT = Path(__file__).resolve().parents[1]
SUITE_VENV = Path(sys.prefix)
SUITE_SITE = Path(sysconfig.get_paths()["purelib"])
PORT = 18100  # hub tests use 18000-18099; this one 18100-18119 (proxy, hub API, servers)
SERVER_PORTS = "18110-18119"
COOP, EXERCICE, COOP_NAME = "AD76-0421", "2025-2026", "École des Tilleuls"


def ours(name: str) -> bool:
    """Entries of the suite's site-packages that are Retkoop itself (or its editable install)."""
    low = name.lower()
    return (low.startswith(("retkoop_widgets", "retkoop-", "__editable__"))
            or low.endswith(".pth") or low == "__pycache__")


def outside_env() -> dict[str, str]:
    """This process's environment without what would bring the checkout in (the suite runs
    with ``PYTHONPATH`` on the work tree: pip would see Retkoop as already installed)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".hub", "node_modules")
    shutil.copytree(CHECKOUT / "retkoop_widgets", src / "retkoop_widgets", ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(CHECKOUT / name, src / name)
    out = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
                   check=True, cwd=tmp, capture_output=True, env=outside_env())
    [wheel] = out.glob("retkoop-*.whl")
    return wheel


def fresh_venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, cwd=tmp,
                   env=outside_env())
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, cwd=tmp, capture_output=True, env=outside_env())
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True, cwd=tmp, env=outside_env()).stdout.strip())
    # the dependencies: links to the suite venv's site-packages, without our distribution
    deps = tmp / "deps"
    deps.mkdir()
    for entry in SUITE_SITE.iterdir():
        if not ours(entry.name):
            (deps / entry.name).symlink_to(entry)
    (site / "retkoop-test-deps.pth").write_text(f"{deps}\n")
    # their console scripts, re-pointed at the new Python; their Jupyter data and config
    old_bin, new_bin = f"{SUITE_VENV}/bin/", f"{venv}/bin/"
    for script in (SUITE_VENV / "bin").iterdir():
        target = venv / "bin" / script.name
        if target.exists() or script.is_symlink() or not script.is_file() or script.name.startswith("retkoop"):
            continue
        head = script.read_bytes()[:2]
        if head != b"#!":
            continue
        text = script.read_text(errors="replace")
        if old_bin not in text.split("\n", 3)[0] + text[:400]:
            continue  # not one of this venv's entry-point scripts (activate, shell helpers)
        target.write_text(text.replace(old_bin, new_bin))
        target.chmod(0o755)
    for top in ("share", "etc"):  # share/jupyter, share/jupyterhub (the Hub's static files), etc/jupyter…
        for item in (SUITE_VENV / top).iterdir() if (SUITE_VENV / top).is_dir() else ():
            if not (venv / top / item.name).exists():
                (venv / top).mkdir(parents=True, exist_ok=True)
                (venv / top / item.name).symlink_to(item)
    return venv


@pytest.fixture(scope="module")
def installed():
    """(venv, env, workdir): the wheel installed in a fresh venv in a world-readable
    temporary folder (the hub, as root, checks an unprivileged user can read its Python)."""
    tmp = Path(tempfile.mkdtemp(prefix="retkoop-wheel-"))
    tmp.chmod(0o755)
    try:
        assert CHECKOUT not in tmp.parents and SUITE_VENV not in tmp.parents
        venv = fresh_venv(tmp, build_wheel(tmp))
        work, home = tmp / "work", tmp / "home"
        work.mkdir()
        home.mkdir()
        env = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               "RETKOOP_DATA_DIR": str(tmp / "data"), "RETKOOP_HUB_HOMES_DIR": str(tmp / "homes"),
               # the isolated roles' Python (formateur, analyste; not used by this test's
               # mandataire): the fresh venv's, never a shared one left by another test
               "RETKOOP_HUB_USER_PYTHON": str(venv / "bin" / "python")}
        yield venv, env, work
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(installed, *args: str, timeout: float = 300) -> str:
    venv, env, work = installed
    done = subprocess.run([str(venv / "bin" / args[0]), *args[1:]], env=env, cwd=work, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} a échoué :\n{done.stdout}\n{done.stderr}"
    return done.stdout


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    assert path.read_bytes()[:5] == b"%PDF-"
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_every_packaged_file_is_in_the_wheel(tmp_path):
    """Each file of the package in the source tree (notebooks and formation/, hub_config and
    its templates, lab settings, report templates, migrations, data) is in the wheel."""
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "retkoop_widgets"], cwd=CHECKOUT, capture_output=True, text=True)
    if tracked.returncode == 0 and tracked.stdout.strip():
        tree = set(tracked.stdout.split())
    else:  # not a git checkout (an sdist): every file of the package folder
        tree = {p.relative_to(CHECKOUT).as_posix() for p in (CHECKOUT / "retkoop_widgets").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    missing = sorted(tree - names)
    assert not missing, f"absent du wheel (package-data de pyproject.toml) : {missing}"
    for needed in ("retkoop_widgets/notebooks/tableau_de_bord.ipynb", "retkoop_widgets/notebooks/formation/formateur.ipynb",
                   "retkoop_widgets/hub_config/jupyterhub_config.py", "retkoop_widgets/hub_config/templates/login.html",
                   "retkoop_widgets/storage/migrations/env.py", "retkoop_widgets/storage/migrations/script.py.mako",
                   "retkoop_widgets/reports/templates/retkoop_pdf/index.html.j2",
                   "retkoop_widgets/data/plan-comptable-occe.csv", "retkoop_widgets/hub_config/z2jh-values.yaml",
                   "retkoop_widgets/hub_config/images/Dockerfile.singleuser"):
        assert needed in names


def test_the_checkout_is_out_of_reach(installed):
    venv, _, work = installed
    out = run(installed, "python", "-c", (
        "import sys, importlib.util, importlib.metadata as md, retkoop_widgets, retkoop_widgets.settings as s;"
        "print(retkoop_widgets.__file__); print(s.PACKAGE); print(md.distribution('retkoop').locate_file(''));"
        "print(importlib.util.find_spec('conftest') is None and importlib.util.find_spec('fakes') is None);"
        "print('\\n'.join(sys.path))"))
    module, package, dist, unreachable, *path = out.splitlines()
    site = str(venv)
    assert module.startswith(site) and package.startswith(site) and dist.startswith(site)
    assert unreachable == "True"
    assert not [p for p in path if p and (Path(p).resolve() == CHECKOUT or CHECKOUT in Path(p).resolve().parents)]
    assert "PYTHONPATH" not in installed[1] and Path(work).resolve() != CHECKOUT


def test_init_seed_and_pdfs_from_the_wheel(installed):
    _, _, work = installed
    run(installed, "retkoop", "init")
    run(installed, "retkoop", "demo-data")
    run(installed, "retkoop", "report", COOP, EXERCICE, "--format", "pdf", "-o", "crf.pdf")
    run(installed, "retkoop", "cahier", COOP, EXERCICE, "--format", "pdf", "-o", "cahier.pdf")
    crf, cahier = pdf_text(work / "crf.pdf"), pdf_text(work / "cahier.pdf")
    assert COOP_NAME in crf and COOP in crf
    assert COOP_NAME in cahier and COOP in cahier


def test_hub_demo_from_the_wheel_logs_a_mandataire_in(installed, browser, tmp_path):
    from retkoop_widgets.hub.launcher import DEMO_PASSWORD, HubSettings, reap_leftovers
    venv, env, work = installed
    data = work / "hub-data"
    env = dict(env, RETKOOP_HUB_SERVER_PORTS=SERVER_PORTS)
    log = open(work / "hub.out", "w+")
    proc = subprocess.Popen([str(venv / "bin" / "retkoop"), "hub", "--demo", "--port", str(PORT),
                             "--data-dir", str(data), "--backup-every", "0"],
                            env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "Retkoop est prêt" not in (work / "hub.out").read_text():
            assert proc.poll() is None, f"retkoop hub s'est arrêté :\n{(work / 'hub.out').read_text()}"
            assert time.monotonic() < deadline, (work / "hub.out").read_text()
            time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/hub/login", timeout=10) as r:
            assert r.status == 200
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        try:
            page = ctx.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"http://127.0.0.1:{PORT}/hub/login")
            page.fill("#username_input", "tilleuls")
            page.fill("#password_input", DEMO_PASSWORD)
            page.click("#login_submit")
            try:
                page.wait_for_url(re.compile(r".*/user/tilleuls/voila/render/tableau_de_bord\.ipynb"),
                                  wait_until="commit", timeout=120_000)
                page.wait_for_selector("#loading", state="hidden", timeout=90_000)
                page.wait_for_selector(".rk-valider", timeout=90_000)
            except Exception as e:
                hub_log = (data / "jupyterhub.log").read_text(errors="replace") if (data / "jupyterhub.log").exists() else ""
                pytest.fail(f"tableau de bord non atteint ({type(e).__name__}) : {page.url}\n"
                            f"{page.inner_text('body')[:500]}\n--- jupyterhub.log ---\n{hub_log[-4000:]}")
            assert COOP_NAME in page.inner_text(".rk-app")
            page.screenshot(path=str(tmp_path / "dashboard-from-wheel.png"), full_page=True)  # kept by pytest
        finally:
            ctx.close()
        # the mandataire's server and kernel ran the wheel's code, not the checkout's
        import psutil
        servers = [p for p in psutil.process_iter(["cmdline", "environ"])
                   if (p.info.get("environ") or {}).get("JUPYTERHUB_USER") == "tilleuls"]
        assert servers
        for p in servers:  # the server and its kernel: the fresh venv's Python, no PYTHONPATH
            assert (p.info["cmdline"] or [""])[0].startswith(str(venv)), p.info["cmdline"]
            assert "PYTHONPATH" not in p.info["environ"]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        reap_leftovers(HubSettings(db_url="", port=PORT, data_dir=data))
        log.close()
