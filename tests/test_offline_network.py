"""Offline means offline, for every executor: with HF_HUB_OFFLINE=1 a run makes no network connection and looks up
no host name, in the driver or in any process it starts.

Every Python process of the run loads a `sitecustomize` shim (through PYTHONPATH, which worker processes and the
processes Ray starts inherit from the driver) that refuses, and writes down, what a test does not allow:

- local executor (`strict`): any AF_INET / AF_INET6 connect, loopback included, and any lookup of a host name that is
  not a numeric address. Its workers talk to the driver over pipes and AF_UNIX sockets only.
- Ray executor (`loopback`): connects and lookups outside the loopback interface. Ray's own processes (GCS, raylet,
  dashboard agent, workers) talk gRPC over loopback TCP to each other, so loopback has to stay open there; anything
  leaving the machine (the cloud metadata address 169.254.169.254, `metadata.google.internal`, Ray's usage-stats
  server) is refused. Ray's GCS and raylet are C++ programs the shim cannot reach; the Python processes around them
  (dashboard, agents, workers) are where the cloud probes live.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.executors.ray_offline import environment, local_ray_env
from test_bad_input import BLOCK_NETWORK

# Appended to BLOCK_NETWORK (same module: it reuses `_refuse`, `_local` and the saved originals). Records every process
# that loaded the shim; lets numeric lookups through (no name service involved), guards gethostbyname too, and in
# strict mode also refuses loopback connects and the name "localhost".
POLICY = r'''
import sys

with open("/proc/self/cmdline", "rb") as cmdline:
    _COMMAND = cmdline.read().replace(b"\0", b" ").decode(errors="replace")[:300]
with open(_LOG + ".procs", "a") as f:
    f.write(f"{os.getpid()} {_COMMAND}\n")

_STRICT = os.environ.get("HARNESS_TEST_NETWORK") == "strict"


def _no_lookup(host) -> bool:
    # A numeric address (a server binding 0.0.0.0 looks one up) needs no name service; "localhost" only off strict.
    if host in (None, "", b"") or not _STRICT and host in ("localhost", b"localhost"):
        return True
    try:
        ipaddress.ip_address((host.decode() if isinstance(host, bytes) else str(host)).split("%")[0])
        return True
    except ValueError:
        return False


def _inet_allowed(sock, address) -> bool:
    return sock.family not in (socket.AF_INET, socket.AF_INET6) or not _STRICT and _local(address[0])


def connect(self, address):
    if not _inet_allowed(self, address):
        _refuse(f"connect {address}")
    return _connect(self, address)


def connect_ex(self, address):
    if not _inet_allowed(self, address):
        _refuse(f"connect_ex {address}")
    return _connect_ex(self, address)


def _guard_lookup(lookup):
    def guarded(host, *args, **kwargs):
        if not _no_lookup(host):
            _refuse(f"{lookup.__name__} {host}")
        return lookup(host, *args, **kwargs)
    return guarded


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
socket.getaddrinfo = _guard_lookup(_getaddrinfo)
socket.gethostbyname, socket.gethostbyname_ex = map(_guard_lookup, (socket.gethostbyname, socket.gethostbyname_ex))
'''

RUN = ["-m", "tiny-bert", "-t", "sst2", "--data", "sample", "--max-train-samples", "16", "--max-eval-samples", "16",
       "--epochs", "1", "--latency-requests", "2", "--quiet", "--no-report"]


def _offline_env(tmp_path: Path, policy: str) -> tuple[dict, Path]:
    """The environment of a blocked run and the log its refusals go to; checks that the shim is active."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(BLOCK_NETWORK + POLICY)
    log = tmp_path / "network.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HARNESS_TEST_NETLOG": str(log),
           "HARNESS_TEST_NETWORK": policy,
           "PYTHONPATH": os.pathsep.join([str(shim), os.environ.get("PYTHONPATH", "")])}
    env.pop("RAY_ADDRESS", None)
    probe = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), 1)\nexcept OSError as e:\n"
             "    print(e)\ntry:\n    socket.getaddrinfo('example.org', 443)\nexcept OSError as e:\n    print(e)")
    seen = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True).stdout
    assert "blocked by test: getaddrinfo example.org" in seen, seen             # the shim is active
    assert ("blocked by test: connect" in seen) == (policy == "strict"), seen
    log.unlink()
    (tmp_path / "network.log.procs").unlink()
    return env, log


def _run_offline(env: dict, out: Path, *executor: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "harness", "run", *RUN, *executor, "--output", str(out)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert record["status"] == "ok", record["error"]
    return record


def _processes(log: Path) -> str:
    return Path(f"{log}.procs").read_text()


@pytest.mark.slow
def test_the_local_executor_makes_no_inet_connection(tmp_path):
    env, log = _offline_env(tmp_path, "strict")
    _run_offline(env, tmp_path / "run", "--executor", "local", "--workers", "1")
    assert not log.exists(), log.read_text()
    assert len(_processes(log).splitlines()) >= 2          # the driver and its worker both ran under the shim


def test_a_local_ray_instance_gets_a_dead_end_proxy_only_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("NO_PROXY", "169.254.169.254")                   # a user's exemption cannot reopen the probe
    monkeypatch.delenv("http_proxy", raising=False)
    offline = local_ray_env()
    assert offline["RAY_USAGE_STATS_ENABLED"] == "0"
    assert offline["http_proxy"] == offline["HTTPS_PROXY"] == "http://127.0.0.1:9"
    assert offline["no_proxy"] == offline["NO_PROXY"] == "127.0.0.1,localhost,::1"
    with environment(offline):
        assert os.environ["NO_PROXY"] == "127.0.0.1,localhost,::1" and os.environ["http_proxy"]
    assert os.environ["NO_PROXY"] == "169.254.169.254" and "http_proxy" not in os.environ
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert local_ray_env() == {}


@pytest.mark.slow
@pytest.mark.xdist_group("ray")       # one Ray instance at a time (see conftest)
def test_the_ray_executor_stays_on_loopback(tmp_path):
    """A local Ray instance started by the harness: no cloud metadata probe, no usage report, no DNS lookup."""
    env, log = _offline_env(tmp_path, "loopback")
    record = _run_offline(env, tmp_path / "run", "--executor", "ray")
    assert record["ray"]["node"]
    assert not log.exists(), log.read_text()
    assert "default_worker.py" in _processes(log), _processes(log)     # Ray's workers ran under the shim too
