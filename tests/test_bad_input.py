"""Every mistake a user can make gives one clear line on stderr, exit code 2, no traceback, and nothing written in
the run directory (not created, or left as it was).

The bad-input suite spans tests/test_bad_input*.py: this module (models, cards, data, options, environment, security)
and test_bad_input_numbers.py (numbers, model limits and files, cache and output paths), among others, which import
the helpers below.

Each case runs `harness run ...` in the test process through click's CliRunner (conftest.run_cli), so the cases share
one interpreter and its imports; two cases also run the real command in a subprocess, to check the exit status and
the stderr line a shell sees.

The security cases are here too: custom model code is refused without --trust-remote-code (and never executed),
YAML tags that would run code are rejected (safe_load), and a real job runs with every non-local socket blocked.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, harness_cli, run_cli

BASE = ["-m", "tiny-bert", "-t", "sst2", "--data", "sample", "--no-report"]

SST2_CARD = textwrap.dedent("""
    name: {name}
    family: classification
    kind: {kind}
    data: {{sample: {sample}}}
    columns: {{text: sentence, label: label}}
    labels: {labels}
    metrics: {{primary: accuracy}}
""")

# case id -> (arguments after `harness run`, key words the one stderr line must contain)
CASES: dict[str, tuple[list[str], list[str]]] = {
    # models
    "unknown-model-alias": (["-m", "bertt", "-t", "sst2", "--data", "sample"], ["unknown model", "bertt"]),
    "missing-model-dir": (["-m", "./no/such/model", "-t", "sst2", "--data", "sample"],
                          ["model directory not found"]),
    "offline-uncached-hub-id": (["-m", "some-org/not-cached-model", "-t", "sst2", "--data", "sample"],
                                ["not in the local Hugging Face cache", "offline"]),
    "remote-code-without-trust": (["-m", "{tmp}/remote_model", "-t", "sst2", "--data", "sample"],
                                  ["custom code", "--trust-remote-code"]),
    # tasks and cards
    "unknown-task-did-you-mean": (["-m", "tiny-bert", "-t", "sst3", "--data", "sample"],
                                  ["unknown task 'sst3'", "did you mean 'sst2'"]),
    "card-yaml-syntax": ([*BASE, "--tasks-dir", "{tmp}/cards_syntax"], ["invalid YAML", "line"]),
    "card-missing-field": ([*BASE, "--tasks-dir", "{tmp}/cards_missing"], ["field 'metrics'", "missing"]),
    "card-wrong-type": ([*BASE, "--tasks-dir", "{tmp}/cards_type"], ["field 'labels'", "expected a list"]),
    "card-unknown-kind": ([*BASE, "--tasks-dir", "{tmp}/cards_kind"], ["unknown kind", "did you mean"]),
    "card-python-tag-not-executed": ([*BASE, "--tasks-dir", "{tmp}/cards_tag"], ["invalid YAML"]),
    "tasks-dir-missing": ([*BASE, "--tasks-dir", "{tmp}/no_such_dir"], ["--tasks-dir", "not a directory"]),
    "leaderboard-unknown-task": (["--leaderboard", "{tmp}/board.yaml"], ["leaderboard", "unknown task"]),
    # data
    "data-file-missing": (["-m", "tiny-bert", "-t", "sst2", "--data", "sst2={tmp}/missing.jsonl"],
                          ["data file not found"]),
    "data-file-empty": (["-m", "tiny-bert", "-t", "sst2", "--data", "sst2={tmp}/empty.jsonl"], ["no examples"]),
    "data-wrong-columns": (["-m", "tiny-bert", "-t", "sst2", "--data", "sst2={tmp}/columns.jsonl"],
                           ["no column 'sentence'", "columns: foo, bar"]),
    "data-undecodable-bytes": (["-m", "tiny-bert", "-t", "sst2", "--data", "sst2={tmp}/bytes.jsonl"],
                               ["not valid UTF-8"]),
    "data-labels-not-in-card": (["-m", "tiny-bert", "-t", "sst2", "--data", "sst2={tmp}/labels.jsonl"],
                                ["label 'maybe'", "not one of the card's labels"]),
    "data-option-malformed": (["-m", "tiny-bert", "-t", "sst2", "--data", "sst2"], ["expected 'sample' or TASK=PATH"]),
    "data-unknown-task": (["-m", "tiny-bert", "-t", "sst2", "--data", "sst3=x.jsonl"],
                          ["--data names unknown task 'sst3'"]),
    # numbers and lists
    "seeds-not-integers": ([*BASE, "--seeds", "0,one"], ["--seeds", "'one' is not an integer"]),
    "seeds-repeated": ([*BASE, "--seeds", "1,1"], ["--seeds", "repeats"]),
    "epochs-negative": ([*BASE, "--epochs", "-1"], ["--epochs", "positive"]),
    "batch-size-zero": ([*BASE, "--batch-size", "0"], ["--batch-size", "positive integer"]),
    "max-length-not-a-number": ([*BASE, "--max-length", "long"], ["--max-length", "not a valid integer"]),
    "workers-zero": ([*BASE, "--workers", "0"], ["--workers", "positive integer"]),
    "job-timeout-negative": ([*BASE, "--job-timeout", "-5"], ["--job-timeout", "positive"]),
    "latency-requests-negative": ([*BASE, "--latency-requests", "-1"], ["--latency-requests", "0 or more"]),
    "jobs-per-gpu-malformed": ([*BASE, "--jobs-per-gpu", "many"], ["--jobs-per-gpu", "'auto' or a positive integer"]),
    "num-processes-zero": ([*BASE, "--num-processes", "0"], ["--num-processes", "positive integer"]),
    "parallel-unknown-mode": ([*BASE, "--parallel", "pipeline"], ["--parallel", "'auto', 'data', 'none'"]),
    "unknown-option-typo": ([*BASE, "--epoch", "1"], ["No such option", "--epochs"]),
    "models-without-tasks": (["-m", "tiny-bert", "--data", "sample"], ["--tasks is missing"]),
    # environment and executors
    "output-not-writable": ([*BASE, "--output", "{tmp}/a_file/run"], ["not writable"]),
    "device-cuda-without-gpu": ([*BASE, "--device", "cuda"], ["--device cuda", "no CUDA GPU"]),
    "fp16-on-cpu": ([*BASE, "--device", "cpu", "--precision", "fp16"], ["fp16 needs a GPU"]),
    "executor-ray-not-installed": ([*BASE, "--executor", "ray"], ["--executor ray needs Ray", "not installed"]),
    "ray-address-without-ray-executor": ([*BASE, "--ray-address", "auto"], ["--ray-address needs --executor ray"]),
    "accelerate-config-missing": ([*BASE, "--accelerate-config", "{tmp}/missing.yaml"],
                                  ["--accelerate-config", "file not found"]),
    "accelerate-config-invalid-yaml": ([*BASE, "--accelerate-config", "{tmp}/accelerate_bad.yaml"],
                                       ["--accelerate-config", "invalid YAML"]),
}

def _card(name="sst2", kind="classification", labels="[negative, positive]") -> str:
    return SST2_CARD.format(name=name, kind=kind, labels=labels, sample=REPO / "tasks" / "samples" / "sst2")


def _make_inputs(tmp: Path) -> None:
    def write(rel: str, text: str | bytes) -> None:
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    write("cards_syntax/bad.yaml", "name: bad\nfamily: [classification\n")
    write("cards_missing/bad.yaml", "\n".join(line for line in _card("bad").splitlines() if "metrics" not in line))
    write("cards_type/bad.yaml", _card("bad", labels="negative-or-positive"))
    write("cards_kind/bad.yaml", _card("bad", kind="clasification"))
    write("cards_tag/bad.yaml", f"name: !!python/object/apply:os.system ['touch {tmp}/pwned']\n")
    write("board.yaml", "name: board\nmodels: [tiny-bert]\ntasks: [sst2, sst5]\nseeds: [0]\ndata: sample\n")
    write("empty.jsonl", "")
    write("columns.jsonl", '{"foo": "a", "bar": 1}\n{"foo": "b", "bar": 0}\n{"foo": "c", "bar": 1}\n')
    write("bytes.jsonl", b'\xff\xfe{"sentence": "a"}\n')
    write("labels.jsonl", "".join(json.dumps({"sentence": f"s{i}", "label": "maybe"}) + "\n" for i in range(4)))
    write("a_file", "not a directory")
    write("accelerate_bad.yaml", "distributed_type: [FSDP\n")
    write("remote_model/config.json", json.dumps({"model_type": "harness_remote_test",
                                                  "auto_map": {"AutoConfig": "configuration_remote.RemoteConfig"}}))
    write("remote_model/configuration_remote.py",
          f"open({str(tmp / 'remote_code_ran')!r}, 'w').close()\n"
          "from transformers import PretrainedConfig\n"
          "class RemoteConfig(PretrainedConfig):\n    model_type = 'harness_remote_test'\n")


def _arguments(case: str, tmp: Path, cases: dict = CASES) -> tuple[list[str], Path]:
    """The case's arguments with {tmp} filled in and an --output inside tmp; returns them and that output folder."""
    args = [a.replace("{tmp}", str(tmp)) for a in cases[case][0]]
    if "--output" in args:
        return args, Path(args[args.index("--output") + 1])
    out = tmp / "runs" / case
    return [*args, "--output", str(out)], out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("bad_input")
    _make_inputs(tmp)
    return tmp


def snapshot(folder: Path) -> dict[str, tuple[int, int]] | None:
    """What a folder holds (relative path -> size, modification time), None when it does not exist."""
    if not os.path.lexists(folder):     # False also for a path the system cannot look up (a name too long)
        return None
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def assert_one_clear_line(result, words: list[str]) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_there_are_enough_cases():
    assert len(CASES) >= 25


def run_case(cases: dict, case: str, inputs: Path, monkeypatch) -> None:
    """`harness run` with the case's arguments, from the inputs folder: exit 2, one clear line with the case's
    words, and the run directory not created, or left as it was."""
    args, out = _arguments(case, inputs, cases)
    monkeypatch.chdir(inputs)
    before = snapshot(out)
    result = run_cli("run", *args)
    assert result.exception is None, repr(result.exception)
    assert_one_clear_line(result, cases[case][1])
    assert snapshot(out) == before              # nothing created or written in the run directory


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clear_line_and_exit_2(case, inputs, monkeypatch):
    if case == "executor-ray-not-installed":
        for name in [name for name in sys.modules if name == "ray" or name.startswith("ray.")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "ray", None)       # `import ray` fails and find_spec finds nothing
    run_case(CASES, case, inputs, monkeypatch)
    assert not (inputs / "pwned").exists()              # YAML tags never run code
    if case == "remote-code-without-trust":
        assert not (inputs / "remote_code_ran").exists()   # custom model code never ran


@pytest.mark.parametrize("case", ["unknown-model-alias", "unknown-option-typo"])
def test_the_real_command_exits_2_with_one_line(case, inputs):
    """Our error and click's usage error, as a shell sees them: the process's exit status and its stderr."""
    args, out = _arguments(case, inputs)
    before = snapshot(out)
    result = harness_cli("run", *args, cwd=inputs, timeout=300)
    assert_one_clear_line(result, CASES[case][1])
    assert snapshot(out) == before


BLOCK_NETWORK = textwrap.dedent("""
    # Loaded by every Python process of the test (PYTHONPATH): any connection or name lookup that is not local is
    # refused and written down.
    import ipaddress
    import os
    import socket

    _LOG = os.environ["HARNESS_TEST_NETLOG"]
    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


    def _local(host) -> bool:
        if host in (None, "", "localhost") or isinstance(host, bytes):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False


    def _refuse(what):
        with open(_LOG, "a") as f:
            f.write(f"{os.getpid()} {what}\\n")
        raise OSError(f"network blocked by test: {what}")


    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _refuse(f"connect {address}")
        return _connect(self, address)


    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _refuse(f"connect_ex {address}")
        return _connect_ex(self, address)


    def getaddrinfo(host, *args, **kwargs):
        if not _local(host):
            _refuse(f"getaddrinfo {host}")
        return _getaddrinfo(host, *args, **kwargs)


    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
""")


def test_a_job_runs_with_the_network_blocked(tmp_path):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(BLOCK_NETWORK)
    log = tmp_path / "network.log"
    out = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HARNESS_TEST_NETLOG": str(log),
           "PYTHONPATH": os.pathsep.join([str(shim), os.environ.get("PYTHONPATH", "")])}
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('203.0.113.1', 443), 1)"],
                           env=env, capture_output=True, text=True)
    assert "network blocked by test" in probe.stderr and log.exists()    # the shim is active
    log.unlink()
    result = subprocess.run([sys.executable, "-m", "harness", "run", "-m", "tiny-bert", "-t", "sst2", "--data",
                             "sample", "--max-train-samples", "16", "--max-eval-samples", "16", "--epochs", "1",
                             "--latency-requests", "2", "--quiet", "--no-report", "--executor", "inline",
                             "--output", str(out)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert record["status"] == "ok", record["error"]
    assert not log.exists(), log.read_text()
