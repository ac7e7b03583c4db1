"""Finding 5 and its kin: a missing identity is a refusal, never "everything".

Written as the misconfiguration an attacker would enjoy: an analyst account created without
an AD (``ad=None`` used to mean "every AD"), an analyst kernel with no identity at all, an
analysis notebook pointed at another AD, a PostgreSQL hub where a server kind has no role
of its own (it used to get the platform's owner URL). Each is refused in French."""
from __future__ import annotations

import pytest

from retkoop_widgets.domain.actor import ANALYSTE, Actor
from retkoop_widgets.domain.errors import Forbidden
from retkoop_widgets.services.accounts import Profile

pytestmark = [pytest.mark.security]


def _profile(login, role, coop=None, ad=None):
    return Profile(login, role, coop, ad, "", False, True)


def test_an_analyst_actor_without_an_ad_reads_nothing_unless_national():
    assert not Actor("ana", ANALYSTE).may_read("AD27-0101", "AD27")
    assert Actor("ana", ANALYSTE, ad="AD76").may_read("AD76-0421", "AD76")
    assert not Actor("ana", ANALYSTE, ad="AD76").may_read("AD27-0101", "AD27")
    assert Actor("nat", ANALYSTE, national=True).may_read("AD27-0101", "AD27")


def test_the_hub_refuses_an_analyst_without_an_ad_unless_configured_national():
    from retkoop_widgets.hub.spawner import server_env
    with pytest.raises(Exception) as e:
        server_env(_profile("ana", "analyste"), "sqlite:///x")
    assert e.value.status_code == 403 and "aucune AD" in e.value.retkoop_message
    env = server_env(_profile("Nat", "analyste"), "sqlite:///x", national_analysts=("nat",))
    assert env["RETKOOP_NATIONAL"] == "1" and env["RETKOOP_AD"] == "" and env["RETKOOP_READ_ONLY"] == "1"
    env = server_env(_profile("ana", "analyste", ad="AD76"), "sqlite:///x", national_analysts=("nat",))
    assert env["RETKOOP_NATIONAL"] == "" and env["RETKOOP_AD"] == "AD76"


@pytest.mark.parametrize("role, coop, ad", [("mandataire", "AD76-0421", None), ("admin-ad", None, "AD76"),
                                            ("formateur", None, None), ("analyste", None, "AD76")])
def test_on_postgresql_a_server_kind_without_its_role_is_refused_not_given_the_owner_url(role, coop, ad):
    from retkoop_widgets.hub.spawner import server_env
    owner = "postgresql://retkoop@h/db"
    with pytest.raises(Exception) as e:
        server_env(_profile("x", role, coop, ad), owner)
    assert e.value.status_code == 503 and "rôle de base de données manquant" in e.value.retkoop_message
    urls = dict(analyst_db_url="postgresql://retkoop_analyste:a@h/db",
                dashboard_db_url="postgresql://retkoop_tableaux:t@h/db",
                formateur_db_url="postgresql://retkoop_formateur:f@h/db")
    env = server_env(_profile("x", role, coop, ad), owner, urls.pop("analyst_db_url"), **urls)
    expected = {"mandataire": "tableaux", "admin-ad": "tableaux", "formateur": "formateur", "analyste": "analyste"}
    assert env["RETKOOP_DB_URL"].startswith(f"postgresql://retkoop_{expected[role]}:")


def _identity(**kw):
    return {f"RETKOOP_{k.upper()}": v for k, v in kw.items()}


def test_an_analyst_kernel_without_identity_or_ad_is_refused_in_french(books, db_url):
    from retkoop_widgets.hub.analyst import analyst_books
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0101", "École de l'Eure", "AD27")
    base = {"RETKOOP_DB_URL": db_url, "RETKOOP_READ_ONLY": "1", "JUPYTERHUB_USER": "ana"}
    with pytest.raises(Forbidden, match="aucune identité"):
        analyst_books(base)
    with pytest.raises(Forbidden, match="aucune AD"):
        analyst_books({**base, **_identity(user="ana", role="analyste")})
    with pytest.raises(Forbidden, match="réservée aux analystes"):
        analyst_books({**base, **_identity(user="tilleuls", role="mandataire", coop="AD76-0421")})
    ana = analyst_books({**base, **_identity(user="ana", role="analyste", ad="AD76")})
    assert [c["code"] for c in ana.coops()] == ["AD76-0421"]
    nat = analyst_books({**base, **_identity(user="nat", role="analyste", national="1")})
    assert {c["code"] for c in nat.coops()} == {"AD76-0421", "AD27-0101"}


def test_the_analysis_notebook_reads_the_analysts_own_ad_only():
    from retkoop_widgets.identity import require_analysis_of
    hub = {"JUPYTERHUB_USER": "ana"}
    require_analysis_of("ad76", {**hub, **_identity(user="ana", role="analyste", ad="AD76")})
    with pytest.raises(Forbidden, match="pas « AD27 »"):
        require_analysis_of("AD27", {**hub, **_identity(user="ana", role="analyste", ad="AD76")})
    with pytest.raises(Forbidden, match="aucune identité"):
        require_analysis_of("AD76", hub)  # a hub server without the hub's identity
    with pytest.raises(Forbidden, match="aucune AD"):
        require_analysis_of("AD76", {**hub, **_identity(user="ana", role="analyste")})
    require_analysis_of("AD27", {**hub, **_identity(user="nat", role="analyste", national="1")})
    require_analysis_of("AD27", {})  # the operator's own Jupyter on the platform's URL: their database


def test_the_kubernetes_hook_gives_role_urls_from_settings_and_refuses_without(books, db_url, monkeypatch, tmp_path):
    """``identity_hook`` (KubeSpawner's pre_spawn_hook) reads the hub's settings: a
    mandataire's pod gets the dashboards' URL; on PostgreSQL with no such URL configured, or
    with no database at all, the start is refused instead of handing out the owner's URL."""
    import asyncio
    from types import SimpleNamespace

    from retkoop_widgets.hub.spawner import identity_hook
    from retkoop_widgets.services.accounts import Accounts
    Accounts(db_url).add("tilleuls", "mandataire", coop="AD76-0421", password="un-secret-de-classe-42")
    pod = SimpleNamespace(user=SimpleNamespace(name="tilleuls"), environment={})  # KubeSpawner's surface
    monkeypatch.setenv("RETKOOP_DB_URL", db_url)
    monkeypatch.setenv("RETKOOP_DASHBOARD_DB_URL", "postgresql://retkoop_tableaux:t@h/db" if "postgresql" in db_url else "")
    asyncio.run(identity_hook(pod))
    expected = "postgresql://retkoop_tableaux:t@h/db" if "postgresql" in db_url else db_url
    assert pod.environment["RETKOOP_DB_URL"] == expected and pod.environment["RETKOOP_COOP"] == "AD76-0421"
    if "postgresql" in db_url:
        monkeypatch.setenv("RETKOOP_DASHBOARD_DB_URL", "")
        with pytest.raises(Exception, match="no database role"):
            asyncio.run(identity_hook(SimpleNamespace(user=pod.user, environment={})))
    monkeypatch.delenv("RETKOOP_DB_URL")
    monkeypatch.setenv("RETKOOP_DATA_DIR", str(tmp_path))
    with pytest.raises(Exception, match="RETKOOP_DB_URL is not set"):
        asyncio.run(identity_hook(SimpleNamespace(user=pod.user, environment={})))
