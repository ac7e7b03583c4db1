"""The Kubernetes path (issue 14 §4), testable here without a cluster.

``retkoop_widgets/hub_config/z2jh-values.yaml`` is what ``helm upgrade --values`` reads. A
typo there is found by Helm only at deploy time (a key the chart's schema refuses), and a
typo or a wrong import in ``hub.extraConfig`` only when the hub pod crash-loops. Here:

* every key is checked against the Zero to JupyterHub chart's values schema. The chart
  cannot be downloaded here, so ``SCHEMA`` below is written from it: source
  ``jupyterhub/zero-to-jupyterhub-k8s``, file ``jupyterhub/values.schema.yaml`` (chart 4.x,
  commit 02dd73df01bdbb6d602fed21b0be12565ab38080), every property of every object with
  ``additionalProperties: false``; ``ANY`` where the schema allows any content (``hub.config``,
  ``extraEnv``, k8s-native objects…). Re-read it when the chart's major version changes.
* the chart's ``jupyterhub_config.py`` is mimicked for the keys we use (same file, same repo:
  ``jupyterhub/files/hub/jupyterhub_config.py``: ``hub.*`` and ``singleuser.*`` mapped to
  ``JupyterHub``/``KubeSpawner`` traits, ``hub.config`` merged, then each ``hub.extraConfig``
  snippet ``exec``-ed in alphabetical order in that module's namespace) with the real
  ``jupyterhub-kubespawner`` installed; every resulting ``c.Class.trait`` must be a
  configurable trait of the class that reads it (a misspelt trait is otherwise silently
  ignored), and JupyterHub, the authenticator and a KubeSpawner are built from it;
* a mandataire's and an analyst's pod are then assembled by KubeSpawner itself (group
  overrides, our ``pre_spawn_hook`` against a real SQLite database of accounts, the pod
  manifest): the database URL, the locked server, the memory limit, no API token mounted;
* the container build files exist, install the wheel, and the paths the values use inside
  the single-user image are links they create to files the package ships.
"""
from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

from retkoop_widgets.settings import PACKAGE

VALUES_FILE = PACKAGE / "hub_config" / "z2jh-values.yaml"
IMAGES = PACKAGE / "hub_config" / "images"
ANY = None  # the schema allows any content here (additionalProperties: true, arrays, scalars)

IMAGE = {"name": ANY, "tag": ANY, "pullPolicy": ANY, "pullSecrets": ANY}
NETWORK_POLICY = {"enabled": ANY, "ingress": ANY, "egress": ANY, "interNamespaceAccessLabels": ANY,
                  "allowedIngressPorts": ANY,
                  "egressAllowRules": {k: ANY for k in (
                      "cloudMetadataServer", "dnsPortsCloudMetadataServer", "dnsPortsKubeSystemNamespace",
                      "dnsPortsPrivateIPs", "nonPrivateIPs", "privateIPs")}}
PDB = {"enabled": ANY, "maxUnavailable": ANY, "minAvailable": ANY}
SERVICE_ACCOUNT = {"create": ANY, "name": ANY, "annotations": ANY}
STRATEGY = {"rollingUpdate": ANY, "type": ANY}
NODE_AFFINITY = {"required": ANY, "preferred": ANY}
POD_PURPOSE = {"tolerations": ANY, "nodeAffinity": {"matchNodePurpose": ANY}}
SCHEMA = {
    "enabled": ANY, "fullnameOverride": ANY, "nameOverride": ANY, "imagePullSecrets": ANY,
    "imagePullSecret": {k: ANY for k in ("create", "automaticReferenceInjection", "registry", "username",
                                         "password", "email")},
    "hub": {
        "revisionHistoryLimit": ANY, "config": ANY, "extraFiles": ANY, "baseUrl": ANY, "command": ANY,
        "args": ANY, "cookieSecret": ANY, "image": IMAGE, "networkPolicy": NETWORK_POLICY,
        "db": {"type": ANY, "pvc": ANY, "upgrade": ANY, "url": ANY, "password": ANY},
        "labels": ANY, "initContainers": ANY, "extraEnv": ANY, "extraConfig": ANY, "fsGid": ANY,
        "service": {"type": ANY, "ports": {"nodePort": ANY}, "annotations": ANY, "extraPorts": ANY,
                    "loadBalancerIP": ANY},
        "pdb": PDB, "existingSecret": ANY, "nodeSelector": ANY, "tolerations": ANY, "activeServerLimit": ANY,
        "allowNamedServers": ANY, "annotations": ANY, "authenticatePrometheus": ANY,
        "concurrentSpawnLimit": ANY, "consecutiveFailureLimit": ANY, "podSecurityContext": ANY,
        "containerSecurityContext": ANY, "deploymentStrategy": STRATEGY, "extraContainers": ANY,
        "extraVolumeMounts": ANY, "extraVolumes": ANY, "livenessProbe": ANY, "readinessProbe": ANY,
        "namedServerLimitPerUser": ANY, "redirectToServer": ANY, "resources": ANY,
        "lifecycle": {"postStart": ANY, "preStop": ANY}, "services": ANY, "loadRoles": ANY,
        "shutdownOnLogout": ANY, "templatePaths": ANY, "templateVars": ANY,
        "serviceAccount": SERVICE_ACCOUNT, "extraPodSpec": ANY,
    },
    "proxy": {
        "chp": {k: ANY for k in ("revisionHistoryLimit", "extraCommandLineFlags", "extraEnv", "nodeSelector",
                                 "tolerations", "containerSecurityContext", "livenessProbe", "readinessProbe",
                                 "resources", "defaultTarget", "errorTarget", "extraPodSpec")}
        | {"networkPolicy": NETWORK_POLICY, "pdb": PDB, "image": IMAGE},
        "secretToken": ANY,
        "service": {"type": ANY, "labels": ANY, "annotations": ANY, "nodePorts": {"http": ANY, "https": ANY},
                    "disableHttpPort": ANY, "extraPorts": ANY, "loadBalancerIP": ANY,
                    "loadBalancerSourceRanges": ANY},
        "https": {"enabled": ANY, "type": ANY, "hosts": ANY,
                  "letsencrypt": {"contactEmail": ANY, "acmeServer": ANY},
                  "manual": {"key": ANY, "cert": ANY}, "secret": {"name": ANY, "key": ANY, "crt": ANY}},
        "traefik": {k: ANY for k in ("revisionHistoryLimit", "labels", "extraInitContainers", "extraEnv",
                                     "nodeSelector", "tolerations", "containerSecurityContext",
                                     "extraDynamicConfig", "extraPorts", "extraStaticConfig", "extraVolumes",
                                     "extraVolumeMounts", "resources", "extraPodSpec")}
        | {"networkPolicy": NETWORK_POLICY, "pdb": PDB, "image": IMAGE, "serviceAccount": SERVICE_ACCOUNT,
           "hsts": {"includeSubdomains": ANY, "maxAge": ANY, "preload": ANY}},
        "labels": ANY, "annotations": ANY, "deploymentStrategy": STRATEGY,
        "secretSync": {"containerSecurityContext": ANY, "image": IMAGE, "resources": ANY},
    },
    "singleuser": {
        "networkPolicy": NETWORK_POLICY, "podNameTemplate": ANY, "cpu": {"limit": ANY, "guarantee": ANY},
        "memory": {"limit": ANY, "guarantee": ANY}, "image": IMAGE, "initContainers": ANY, "profileList": ANY,
        "extraFiles": ANY, "extraEnv": ANY, "nodeSelector": ANY, "extraTolerations": ANY,
        "extraNodeAffinity": NODE_AFFINITY, "extraPodAffinity": NODE_AFFINITY,
        "extraPodAntiAffinity": NODE_AFFINITY, "cloudMetadata": {"blockWithIptables": ANY, "ip": ANY},
        "cmd": ANY, "defaultUrl": ANY, "events": ANY, "extraAnnotations": ANY, "extraContainers": ANY,
        "extraLabels": ANY, "extraPodConfig": ANY, "extraResource": {"guarantees": ANY, "limits": ANY},
        "fsGid": ANY, "lifecycleHooks": {"postStart": ANY, "preStop": ANY},
        "networkTools": {"image": IMAGE, "resources": ANY}, "serviceAccountName": ANY, "startTimeout": ANY,
        "storage": {"capacity": ANY, "extraLabels": ANY, "extraVolumeMounts": ANY, "extraVolumes": ANY,
                    "homeMountPath": ANY, "type": ANY,
                    "dynamic": {k: ANY for k in ("pvcNameTemplate", "storageAccessModes", "storageClass",
                                                 "volumeNameTemplate")},
                    "static": {"pvcName": ANY, "subPath": ANY}},
        "allowPrivilegeEscalation": ANY, "uid": ANY,
    },
    "scheduling": {
        "userScheduler": {k: ANY for k in ("enabled", "revisionHistoryLimit", "replicas", "nodeSelector",
                                           "tolerations", "labels", "annotations", "containerSecurityContext",
                                           "logLevel", "plugins", "pluginConfig", "resources", "extraPodSpec")}
        | {"image": IMAGE, "pdb": PDB, "serviceAccount": SERVICE_ACCOUNT},
        "podPriority": {k: ANY for k in ("enabled", "globalDefault", "defaultPriority", "imagePullerPriority",
                                         "userPlaceholderPriority")},
        "userPlaceholder": {k: ANY for k in ("enabled", "revisionHistoryLimit", "replicas", "labels",
                                             "annotations", "resources", "containerSecurityContext")}
        | {"image": IMAGE},
        "corePods": POD_PURPOSE, "userPods": POD_PURPOSE,
    },
    "ingress": {k: ANY for k in ("enabled", "annotations", "ingressClassName", "hosts", "pathSuffix", "pathType",
                                 "tls")},
    "prePuller": {
        "revisionHistoryLimit": ANY, "labels": ANY, "annotations": ANY, "resources": ANY, "extraTolerations": ANY,
        "hook": {k: ANY for k in ("enabled", "pullOnlyOnChanges", "podSchedulingWaitDuration", "nodeSelector",
                                  "tolerations", "containerSecurityContext", "resources")}
        | {"image": IMAGE, "serviceAccount": SERVICE_ACCOUNT},
        "continuous": {"enabled": ANY}, "pullProfileListImages": ANY, "extraImages": ANY,
        "containerSecurityContext": ANY, "pause": {"containerSecurityContext": ANY, "image": IMAGE},
    },
    "custom": ANY,
    "cull": {k: ANY for k in ("enabled", "users", "adminUsers", "removeNamedServers", "timeout", "every",
                              "concurrency", "maxAge")},
    "debug": {"enabled": ANY},
    "rbac": {"enabled": ANY, "create": ANY},
    "global": ANY,
}
ENUMS = {"hub.db.type": {"sqlite-pvc", "sqlite-memory", "mysql", "postgres", "other"},
         "proxy.https.type": {None, "", "letsencrypt", "manual", "offload", "secret"},
         "singleuser.storage.type": {"dynamic", "static", "none"}}

# The hub pod's environment (hub.extraEnv's secrets): three distinct roles of one database.
DASHBOARD_URL = "postgresql+psycopg://retkoop_tableau:x@postgres.retkoop.svc/retkoop"
ANALYST_URL = "postgresql+psycopg://retkoop_analyste:x@postgres.retkoop.svc/retkoop"


def values() -> dict:
    return yaml.safe_load(VALUES_FILE.read_text(encoding="utf-8"))


def unknown_keys(data, schema, path: str = "") -> list[str]:
    if schema is ANY or not isinstance(data, dict):
        return []
    out = []
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in schema:
            out.append(where)
        else:
            out += unknown_keys(value, schema[key], where)
    return out


def lookup(data: dict, dotted: str, default=None):
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return default
        data = data[part]
    return data


def test_every_key_is_one_the_chart_documents():
    v = values()
    assert unknown_keys(v, SCHEMA) == []
    for dotted, allowed in ENUMS.items():
        if lookup(v, dotted, "absent") != "absent":
            assert lookup(v, dotted) in allowed, dotted
    # the schema check itself finds a typo (and a key at the wrong level)
    assert unknown_keys({"hub": {"extraConfg": {}}, "singleuser": {"memory": {"limt": "1G"}}}, SCHEMA) == [
        "hub.extraConfg", "singleuser.memory.limt"]


# --- the chart's jupyterhub_config.py, for the keys we use ---------------------------------
HUB_TRAITS = {"concurrentSpawnLimit": "concurrent_spawn_limit", "activeServerLimit": "active_server_limit",
              "shutdownOnLogout": "shutdown_on_logout", "templatePaths": "template_paths",
              "templateVars": "template_vars", "allowNamedServers": "allow_named_servers",
              "redirectToServer": "redirect_to_server", "baseUrl": "base_url"}
SINGLEUSER_TRAITS = {"uid": "uid", "allowPrivilegeEscalation": "allow_privilege_escalation",
                     "startTimeout": "start_timeout", "memory.limit": "mem_limit",
                     "memory.guarantee": "mem_guarantee", "cpu.limit": "cpu_limit",
                     "cpu.guarantee": "cpu_guarantee", "extraEnv": "environment",
                     "profileList": "profile_list", "cmd": "cmd", "defaultUrl": "default_url",
                     "lifecycleHooks": "lifecycle_hooks", "fsGid": "fs_gid"}
# singleuser keys the chart renders into Kubernetes objects, not into the hub's configuration
SINGLEUSER_RESOURCES = {"image", "networkPolicy", "storage"}
HUB_RESOURCES = {"image", "db", "extraEnv", "config", "extraConfig", "loadRoles", "services"}


def chart_config(v: dict):
    """``c`` as the chart's jupyterhub_config.py builds it from ``v``, extraConfig run."""
    from traitlets.config import Config
    c = Config()
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    hub, su = v["hub"], v["singleuser"]
    for key in hub:
        assert key in HUB_TRAITS or key in HUB_RESOURCES, f"hub.{key} : correspondance à ajouter dans ce test"
    for key in su:
        assert key in SINGLEUSER_RESOURCES or any(k.split(".")[0] == key for k in SINGLEUSER_TRAITS), \
            f"singleuser.{key} : correspondance à ajouter dans ce test"
    for key, trait in HUB_TRAITS.items():
        if key in hub:
            c.JupyterHub[trait] = hub[key]
    for key, trait in SINGLEUSER_TRAITS.items():
        value = lookup(su, key, "absent")
        if value != "absent":
            c.KubeSpawner[trait] = value
    if lookup(su, "image.name"):
        c.KubeSpawner.image = f"{su['image']['name']}:{su['image']['tag']}"
    c.JupyterHub.load_roles = [dict(role, name=name) for name, role in hub.get("loadRoles", {}).items()]
    c.merge(Config(hub.get("config", {})))
    namespace = {"c": c, "os": os, "re": re, "sys": sys, "__name__": "jupyterhub_config",
                 "get_config": lambda key, default=None: lookup(v, key, default)}
    for name in sorted(hub.get("extraConfig", {})):
        exec(compile(hub["extraConfig"][name], f"<hub.extraConfig.{name}>", "exec"), namespace)
    return c


@pytest.fixture
def hub_env(tmp_path, monkeypatch):
    """The hub pod's environment, RETKOOP_DB_URL on a real (SQLite) database with accounts."""
    from retkoop_widgets.demo import seed_demo
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.accounts import Accounts
    from retkoop_widgets.storage.db import get_engine
    from retkoop_widgets.storage.schema import upgrade
    url = f"sqlite:///{tmp_path / 'retkoop.sqlite3'}"
    upgrade(get_engine(url))
    seed_demo(Books(url))
    accounts = Accounts(url)
    accounts.add("tilleuls", "mandataire", coop="AD76-0421", password="un-secret-de-classe-42")
    accounts.add("stats", "analyste", ad="AD76", password="un-secret-de-classe-42")
    monkeypatch.setenv("RETKOOP_DB_URL", url)
    monkeypatch.setenv("RETKOOP_DASHBOARD_DB_URL", DASHBOARD_URL)
    monkeypatch.setenv("RETKOOP_ANALYST_DB_URL", ANALYST_URL)
    monkeypatch.setenv("RETKOOP_PUBLIC_URL", "https://retkoop.example.org/")
    return url


def configurable(section: str):
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator
    from jupyterhub.proxy import ConfigurableHTTPProxy
    from jupyterhub.spawner import Spawner
    from kubespawner import KubeSpawner

    from retkoop_widgets.hub.authenticator import RetkoopAuthenticator
    classes = {"JupyterHub": JupyterHub, "Spawner": Spawner, "KubeSpawner": KubeSpawner,
               "Authenticator": Authenticator, "RetkoopAuthenticator": RetkoopAuthenticator,
               "ConfigurableHTTPProxy": ConfigurableHTTPProxy}
    assert section in classes, f"c.{section} : aucune classe de la configuration z2jh ne lit cette section"
    return classes[section]


def test_extra_config_runs_and_sets_only_real_traits(hub_env):
    c = chart_config(values())
    for section in c:
        cls = configurable(section)
        traits = cls.class_traits(config=True)
        for name in c[section]:
            assert name in traits, f"c.{section}.{name} n'est pas un réglage de {cls.__name__}"
    # what issue 11 asks of every deployment, present after the snippets ran
    assert c.JupyterHub.token_expires_in_max_seconds <= 7 * 24 * 3600
    assert c.JupyterHub.tornado_settings["cookie_options"] == {"samesite": "Lax", "secure": True}
    assert c.JupyterHub.tornado_settings["serve_traceback"] is False
    assert c.JupyterHub.concurrent_spawn_limit > 0
    assert c.KubeSpawner.automount_service_account_token is False
    assert c.KubeSpawner.allow_privilege_escalation is False and c.KubeSpawner.uid != 0
    # French pages from the installed package (no checkout, no path of a build machine)
    [templates] = c.JupyterHub.template_paths
    assert Path(templates) == PACKAGE / "hub_config" / "templates" and (Path(templates) / "login.html").exists()


def test_hub_and_authenticator_accept_the_configuration(hub_env):
    from jupyterhub.app import JupyterHub

    from retkoop_widgets.hub.authenticator import RetkoopAuthenticator
    c = chart_config(values())
    hub = JupyterHub(config=c)  # traitlets validates every value (types, enums)
    assert hub.token_expires_in_max_seconds == 604800 and hub.shutdown_on_logout
    assert {r["name"] for r in hub.load_roles} >= {"user", "formateur", "token-holders"}
    assert "tokens" not in " ".join(next(r for r in hub.load_roles if r["name"] == "user")["scopes"])
    auth = RetkoopAuthenticator(config=c)
    assert auth.db_url == hub_env and auth.manage_groups and auth.free_failures == 3


class _Group:
    def __init__(self, name):
        self.name = name


class _User:
    def __init__(self, name, groups):
        self.name, self.id, self.url = name, 1, f"/user/{name}/"
        self.groups = [_Group(g) for g in groups]


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: nowhere, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: nobody, user: {token: unused}}]
contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody, namespace: retkoop}}]
current-context: nowhere
"""


@pytest.fixture(autouse=True)
def no_cluster(tmp_path, monkeypatch):
    """KubeSpawner loads a Kubernetes client configuration when it is built: give it one that
    names no cluster (nothing here calls the Kubernetes API; the pod manifest is built locally)."""
    import kubernetes_asyncio.config.kube_config as kube_config
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


def spawn(c, login: str, group: str):
    """A KubeSpawner for ``login`` as the hub would prepare it: group overrides, pre-spawn
    hook, then the pod manifest it would send to Kubernetes."""
    from kubespawner import KubeSpawner

    async def prepare():  # built inside the hub's event loop, as JupyterHub does
        spawner = KubeSpawner(config=c, user=_User(login, [group]), _mock=True)
        await spawner.apply_group_overrides()
        await spawner.pre_spawn_hook(spawner)
        return spawner, await spawner.get_pod_manifest()
    return asyncio.run(prepare())


def test_a_mandataire_pod_gets_the_dashboard_role_and_the_locked_server(hub_env):
    c = chart_config(values())
    spawner, pod = spawn(c, "tilleuls", "role-mandataire")
    env = {e.name: e.value for e in pod.spec.containers[0].env}
    assert env["RETKOOP_USER"] == "tilleuls" and env["RETKOOP_COOP"] == "AD76-0421"
    assert env["RETKOOP_DB_URL"] == DASHBOARD_URL  # never the hub's URL (it reads password hashes)
    assert hub_env not in str(pod.to_dict())
    assert "--config=/srv/retkoop/hub_config/singleuser_locked.py" in pod.spec.containers[0].args
    assert spawner.default_url == "/voila/render/tableau_de_bord.ipynb"
    assert pod.spec.containers[0].resources.limits["memory"] == 512 * 2**20
    assert pod.spec.automount_service_account_token is False
    sc = pod.spec.containers[0].security_context
    assert sc["allowPrivilegeEscalation"] is False and sc["runAsUser"] == 1000


def test_an_analyst_pod_gets_the_read_only_role(hub_env):
    c = chart_config(values())
    spawner, pod = spawn(c, "stats", "role-analyste")
    env = {e.name: e.value for e in pod.spec.containers[0].env}
    assert env["RETKOOP_DB_URL"] == ANALYST_URL and env["RETKOOP_READ_ONLY"] == "1"
    assert "--config=/srv/retkoop/hub_config/singleuser_lab.py" in pod.spec.containers[0].args
    assert pod.spec.containers[0].resources.limits["memory"] == 4 * 2**30  # the group override, not the default


def test_a_typo_in_extra_config_fails_here(hub_env):
    v = values()
    v["hub"]["extraConfig"]["30-typo"] = "from retkoop_widgets.hub.spawner import identity_hok\n"
    with pytest.raises(ImportError):
        chart_config(v)
    v["hub"]["extraConfig"]["30-typo"] = "c.KubeSpawner.mem_limt = '1G'\n"
    c = chart_config(v)
    assert "mem_limt" not in configurable("KubeSpawner").class_traits(config=True)
    assert "mem_limt" in c.KubeSpawner  # what test_extra_config_runs_and_sets_only_real_traits refuses


# --- container images -------------------------------------------------------------------
def dockerfile(name: str) -> list[tuple[str, str]]:
    """(instruction, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    text = (IMAGES / name).read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
    return [(m.group(1).upper(), m.group(2).strip()) for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", text, re.M)]


@pytest.mark.parametrize("name", ["Dockerfile.hub", "Dockerfile.singleuser"])
def test_images_install_the_wheel_and_copy_only_existing_files(name):
    steps = dockerfile(name)
    assert steps[0][0] in ("FROM", "ARG")
    known = {"FROM", "ARG", "ENV", "RUN", "COPY", "USER", "WORKDIR", "EXPOSE", "CMD", "ENTRYPOINT", "LABEL"}
    assert {i for i, _ in steps} <= known
    runs = " ".join(a for i, a in steps if i == "RUN")
    assert re.search(r"pip install [^;&]*retkoop-\S*\.whl", runs) or "pip install" in runs and ".whl" in runs
    assert "git clone" not in runs and "pip install -e" not in runs and "pip install ." not in runs
    for instr, args in steps:
        if instr == "COPY" and "--from" not in args:
            *sources, _dest = args.split()
            for src in sources:
                assert src.startswith("dist/") or (IMAGES / src).exists(), f"{name}: COPY {src} absent"


def test_singleuser_image_links_the_paths_the_values_use():
    runs = " ".join(a for i, a in dockerfile("Dockerfile.singleuser") if i == "RUN")
    snippets = "\n".join(values()["hub"]["extraConfig"].values())
    for used in sorted(set(re.findall(r"/srv/retkoop/[a-z_]+", snippets))):
        assert used in runs, f"{used} : utilisé par z2jh-values.yaml, absent de Dockerfile.singleuser"
        shipped = PACKAGE / used.removeprefix("/srv/retkoop/")
        assert shipped.is_dir(), shipped
    for f in ("hub_config/singleuser_locked.py", "hub_config/singleuser_lab.py", "notebooks/tableau_de_bord.ipynb",
              "notebooks/ad.ipynb", "notebooks/formation"):
        assert (PACKAGE / f).exists()
