"""The deployment files parse and agree with the code they deploy.

Slack app manifests (scopes exactly those the code's Web API calls need, the slash command the
handlers register), Kubernetes manifests (probes, secrets, the ConfigMap's TOML really loads),
the Dockerfile and the systemd unit (both start `align serve` as the real CLI understands it).
YAML needs PyYAML; without it those tests skip and the Dockerfile/systemd tests still run.
"""

from __future__ import annotations

import configparser
import copy
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.cli import build_parser
from bot.config import load_settings
from bot.slack.ids import SLASH_COMMAND

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
HTTP_MANIFEST = DEPLOY / "slack-app-manifest.yml"
SOCKET_MANIFEST = DEPLOY / "slack-app-manifest.socket.yml"

EXPECTED_BOT_SCOPES = {"commands", "chat:write", "files:write", "usergroups:read", "users:read"}
EXPECTED_SUBCOMMANDS = {
    "start", "status", "cancel", "resume", "history", "report", "verify", "help",
}  # fmt: skip

# slack_sdk method names (as called in bot/ and handlers/) → the bot scopes, any one of which
# grants the call. Methods that need no scope (auth.test, views.*, response_url) are absent.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_delete": {"chat:write"},
    "chat_scheduleMessage": {"chat:write"},
    "files_upload_v2": {"files:write"},
    "files_getUploadURLExternal": {"files:write"},
    "files_completeUploadExternal": {"files:write"},
    "usergroups_users_list": {"usergroups:read"},
    "usergroups_list": {"usergroups:read"},
    "users_info": {"users:read"},
    "users_list": {"users:read"},
    "users_lookupByEmail": {"users:read.email"},
    "conversations_members": {"channels:read", "groups:read"},
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_list": {"channels:read", "groups:read"},
    "conversations_join": {"channels:join"},
    "conversations_history": {"channels:history", "groups:history"},
    "reactions_add": {"reactions:write"},
    "pins_add": {"pins:write"},
}
# Web API wrappers that exist in bot/slack/notifier.py but that nothing calls yet. Their scopes
# are deliberately not requested; the test below fails as soon as a caller appears.
UNCALLED_WRAPPERS = {"conversations_members": "channel_members"}


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def yaml() -> ModuleType:
    return pytest.importorskip("yaml")


def _load_one(yaml: ModuleType, path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name}: expected a mapping at the top"
    return data


def _k8s_docs(yaml: ModuleType) -> dict[str, dict[str, Any]]:
    """Every Kubernetes document under deploy/k8s, keyed by kind (each kind appears once)."""
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is None:
                continue
            assert doc["kind"] not in docs, f"{path.name}: a second {doc['kind']}"
            docs[doc["kind"]] = doc | {"_file": path.name}
    return docs


def _source_text() -> str:
    files = [*sorted((ROOT / "bot").rglob("*.py")), *sorted((ROOT / "handlers").rglob("*.py"))]
    return "\n".join(p.read_text() for p in files)


def _calls(source: str, name: str) -> bool:
    return re.search(rf"\.{re.escape(name)}\(", source) is not None


def _walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for v in node.values():
            yield from _walk_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_strings(v)
    elif isinstance(node, str):
        yield node


def _without_transport(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest minus what differs by design between HTTP and Socket Mode."""
    stripped = copy.deepcopy(manifest)
    for command in stripped["features"]["slash_commands"]:
        command.pop("url", None)
    stripped["settings"]["interactivity"].pop("request_url", None)
    stripped["settings"].pop("socket_mode_enabled")
    return stripped


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    lines: list[tuple[str, str]] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        keyword, _, rest = full.partition(" ")
        lines.append((keyword.upper(), rest.strip()))
    return lines


def _final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (kw, _) in enumerate(instructions) if kw == "FROM"]
    return instructions[starts[-1] :]


def _json_array(text: str) -> list[str]:
    value = json.loads(text)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), text
    return value


def _systemd_unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / "align-bot.service").read_text())
    return parser


# --------------------------------------------------------------------------- Slack manifests
@pytest.mark.parametrize("path", [HTTP_MANIFEST, SOCKET_MANIFEST], ids=["http", "socket"])
def test_slack_manifest_declares_command_scopes_and_interactivity(
    yaml: ModuleType, path: Path
) -> None:
    manifest = _load_one(yaml, path)
    assert set(manifest) <= {"display_information", "features", "oauth_config", "settings"}
    info = manifest["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert 1 <= len(info.get("description", "x")) <= 140
    assert manifest["features"]["bot_user"]["display_name"]

    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}, "no user scopes: the bot acts only as itself"
    assert len(scopes["bot"]) == len(set(scopes["bot"]))
    assert set(scopes["bot"]) == EXPECTED_BOT_SCOPES

    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [SLASH_COMMAND]
    hint = commands[0]["usage_hint"]
    assert len(hint) <= 1000
    assert {part.split()[0] for part in hint.split("|")} == EXPECTED_SUBCOMMANDS
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_slack_manifest_http_variant_points_slack_at_the_events_route(yaml: ModuleType) -> None:
    manifest = _load_one(yaml, HTTP_MANIFEST)
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    urls.add(settings["interactivity"]["request_url"])
    assert len(urls) == 1
    url = urlsplit(urls.pop())
    assert url.scheme == "https", "Slack only calls HTTPS request URLs"
    assert url.path == "/slack/events"


def test_slack_manifest_socket_variant_has_no_urls(yaml: ModuleType) -> None:
    manifest = _load_one(yaml, SOCKET_MANIFEST)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert all("url" not in c for c in manifest["features"]["slash_commands"])
    assert "event_subscriptions" not in manifest["settings"]
    assert not [s for s in _walk_strings(manifest) if "://" in s]


def test_slack_manifests_differ_only_in_transport(yaml: ModuleType) -> None:
    http = _load_one(yaml, HTTP_MANIFEST)
    socket = _load_one(yaml, SOCKET_MANIFEST)
    assert _without_transport(http) == _without_transport(socket)


def test_slack_manifest_scopes_are_each_justified_by_a_call_in_the_code(yaml: ModuleType) -> None:
    source = _source_text()
    scopes = set(_load_one(yaml, HTTP_MANIFEST)["oauth_config"]["scopes"]["bot"])
    unjustified = []
    for scope in sorted(scopes - {"commands"}):
        methods = [m for m, granted in METHOD_SCOPES.items() if scope in granted]
        if not any(_calls(source, m) for m in methods):
            unjustified.append(f"{scope} (looked for: {', '.join(methods) or 'nothing known'})")
    assert not unjustified, f"scopes no code needs: {unjustified}"
    # `commands` is justified by the slash command the handlers register.
    assert "commands" in scopes
    assert "SLASH_COMMAND" in (ROOT / "handlers" / "__init__.py").read_text()


def test_slack_manifest_grants_every_scoped_call_the_code_makes(yaml: ModuleType) -> None:
    source = _source_text()
    scopes = set(_load_one(yaml, HTTP_MANIFEST)["oauth_config"]["scopes"]["bot"])
    missing = []
    for method, granted in METHOD_SCOPES.items():
        if not _calls(source, method) or granted & scopes:
            continue
        wrapper = UNCALLED_WRAPPERS.get(method)
        if wrapper and not _calls(source, wrapper):
            continue  # defined in the notifier, called by nobody: no scope requested yet
        missing.append(f"{method} needs one of {sorted(granted)}")
    assert not missing, f"add these scopes to both Slack manifests: {missing}"


# --------------------------------------------------------------------------- Kubernetes
def test_k8s_every_document_has_api_version_kind_and_name(yaml: ModuleType) -> None:
    docs = _k8s_docs(yaml)
    assert {"ConfigMap", "Secret", "Deployment", "Service", "Ingress"} <= set(docs)
    for kind, doc in docs.items():
        assert doc.get("apiVersion"), f"{doc['_file']}: apiVersion"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"]), kind


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_k8s_deployment_probes_hit_healthz_on_the_container_port(yaml: ModuleType) -> None:
    container = _container(_k8s_docs(yaml)["Deployment"])
    ports = {p["containerPort"] for p in container["ports"]} | {
        p["name"] for p in container["ports"] if "name" in p
    }
    assert 3000 in ports
    for probe in ("readinessProbe", "livenessProbe"):
        http_get = container[probe]["httpGet"]
        assert http_get["path"] == "/healthz", probe
        assert http_get["port"] in ports, probe
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    assert env.get("PORT") in (None, "3000")


def test_k8s_deployment_rolls_two_non_root_pods_with_a_read_only_root(yaml: ModuleType) -> None:
    deployment = _k8s_docs(yaml)["Deployment"]
    assert deployment["spec"]["replicas"] == 2  # two replicas share the store (the outbox)
    strategy = deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0  # a ready pod before one stops
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"].get("runAsUser", 1) != 0
    container = _container(deployment)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["resources"]["requests"] and container["resources"]["limits"]
    # The data directory and /tmp are writable volumes, not the (read-only) image.
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    for path in (env["ALIGN_DATA_DIR"], "/tmp"):
        volume = volumes[mounts[path]["name"]]
        assert "emptyDir" in volume or "persistentVolumeClaim" in volume, path
        assert not mounts[path].get("readOnly", False), path
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_k8s_deployment_takes_secrets_from_a_secret_ref(yaml: ModuleType) -> None:
    docs = _k8s_docs(yaml)
    container = _container(docs["Deployment"])
    refs = [e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e]
    assert refs == [docs["Secret"]["metadata"]["name"]]
    plain = {e["name"] for e in container.get("env", []) if "value" in e}
    assert not plain & {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ALIGN_STATE_URL"}
    keys = set(docs["Secret"]["stringData"])
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ALIGN_STATE_URL"} <= keys
    # Every required ${NAME} in the config is supplied by the Secret.
    toml = docs["ConfigMap"]["data"]["align.toml"]
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", toml))
    assert required and required <= keys
    assert all("REPLACE-ME" in v for v in docs["Secret"]["stringData"].values())


def test_k8s_align_config_points_inside_the_configmap_mount(yaml: ModuleType) -> None:
    docs = _k8s_docs(yaml)
    deployment, configmap = docs["Deployment"], docs["ConfigMap"]
    container = _container(deployment)
    env = {e["name"]: e.get("value") for e in container["env"]}
    config_path = PurePosixPath(env["ALIGN_CONFIG"])
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(config_path.parent))
    assert mount.get("readOnly") is True
    volume = next(
        v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]
    )
    assert volume["configMap"]["name"] == configmap["metadata"]["name"]
    items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in configmap["data"]]
    key = next(i["key"] for i in items if i["path"] == config_path.name)
    assert key in configmap["data"]


def test_k8s_configmap_toml_is_a_valid_config(yaml: ModuleType, tmp_path: Path) -> None:
    docs = _k8s_docs(yaml)
    toml = docs["ConfigMap"]["data"]["align.toml"]
    assert "://" not in toml, "database URLs belong in the Secret, referenced as ${NAME}"
    path = tmp_path / "align.toml"
    path.write_text(toml)
    environ = {k: str(v) for k, v in docs["Secret"]["stringData"].items()}
    settings = load_settings(path, environ)
    assert list(settings.targets) == ["prod"]
    target = settings.targets["prod"]
    assert (target.mode, target.snapshot) == ("builtin", "pg_dump")
    assert target.desired_url is not None and target.desired_schema_file is None
    # The config directory is a read-only mount: dumps must go to the data directory.
    assert target.pg_dump_dir is None
    assert target.database_url.value == environ["PROD_DATABASE_URL"]
    assert settings.port == 3000 and settings.host == "0.0.0.0"
    assert settings.default_target == "prod"


def test_k8s_service_and_ingress_route_to_the_container_port(yaml: ModuleType) -> None:
    docs = _k8s_docs(yaml)
    deployment, service, ingress = docs["Deployment"], docs["Service"], docs["Ingress"]
    container = _container(deployment)
    names = {p.get("name"): p["containerPort"] for p in container["ports"]}
    [port] = service["spec"]["ports"]
    assert port["port"] == 80
    assert names.get(port["targetPort"], port["targetPort"]) == 3000
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()

    http_manifest = _load_one(yaml, HTTP_MANIFEST)
    manifest_url = urlsplit(http_manifest["settings"]["interactivity"]["request_url"])
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == manifest_url.hostname
    assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]
    [path] = rule["http"]["paths"]
    assert path["path"] == "/slack/events"
    backend = path["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["number"] == port["port"]


def test_k8s_deployment_args_are_the_serve_command(yaml: ModuleType) -> None:
    container = _container(_k8s_docs(yaml)["Deployment"])
    args = build_parser().parse_args(container["args"])
    assert args.command == "serve"


# --------------------------------------------------------------------------- Dockerfile
def test_dockerfile_runs_serve_as_non_root_with_a_healthcheck() -> None:
    final = _final_stage(_dockerfile_instructions())
    values = {kw: rest for kw, rest in final}  # the last of each instruction counts
    assert re.match(r"python:\$\{PYTHON_VERSION\}-slim|python:3\.11-slim", values["FROM"])
    user = values["USER"].split(":")[0]
    assert user not in ("root", "0")
    assert "/healthz" in values["HEALTHCHECK"] and "127.0.0.1" in values["HEALTHCHECK"]
    assert "${PORT:-3000}" in values["HEALTHCHECK"]
    assert values["EXPOSE"] == "3000"
    argv = [*_json_array(values["ENTRYPOINT"]), *_json_array(values["CMD"])]
    assert argv[0] == "align"
    assert build_parser().parse_args(argv[1:]).command == "serve"


def test_dockerfile_installs_the_postgresql_client_of_a_chosen_major() -> None:
    instructions = _dockerfile_instructions()
    final = _final_stage(instructions)
    args = [rest for kw, rest in final if kw == "ARG"]
    assert "PG_MAJOR=15" in args
    runs = " ".join(rest for kw, rest in final if kw == "RUN")
    assert "postgresql-client-${PG_MAJOR}" in runs
    assert "apt.postgresql.org.sh" in runs  # PGDG: every supported major for this Debian
    env = " ".join(rest for kw, rest in final if kw == "ENV")
    assert "/usr/lib/postgresql/${PG_MAJOR}/bin" in env
    assert "pip install ." in " ".join(rest for kw, rest in instructions if kw == "RUN")


def test_dockerfile_copies_only_what_the_ignore_file_lets_through() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copies = [rest for kw, rest in _dockerfile_instructions() if kw == "COPY"]
    sources = [shlex.split(c)[:-1] for c in copies if not c.startswith("--from")]
    assert sources
    for group in sources:
        for src in group:
            assert (ROOT / src).exists(), src
            assert src.rstrip("/") in allowed, f"{src} is excluded by Dockerfile.dockerignore"


# --------------------------------------------------------------------------- systemd
def test_systemd_unit_serves_with_restart_user_and_hardening() -> None:
    unit = _systemd_unit()
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0].endswith("/align")
    args = build_parser().parse_args(argv[1:])
    assert args.command == "serve"
    assert args.config == "/etc/align-bot/align.toml"
    assert service["Restart"] == "on-failure"
    assert service["User"] == "align-bot"
    assert service["EnvironmentFile"] == "/etc/align-bot/env"
    assert service["KillSignal"] == "SIGTERM"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    env = dict(pair.split("=", 1) for pair in shlex.split(service["Environment"]))
    assert env["ALIGN_DATA_DIR"] in service["ReadWritePaths"].split()
    assert unit["Install"]["WantedBy"] == "multi-user.target"
