"""A task card: one YAML file describing one task instance (data, columns, labels, metrics, defaults).

Cards are data, not code: the *kind* named in a card (harness.kinds) owns reading, tokenizing, the model head and
the metrics. Loading validates every field and raises one `CardError` naming the file and the field.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import yamlfile
from harness.config.values import hyperparameter_problem
from harness.errors import UserError
from harness.settings import card_hyperparameter_types
from harness.tasks.references import Reference, parse_references

FAMILIES = ("classification", "ner", "qa", "translation", "summarization", "similarity", "multiple_choice")
SPLIT_ROLES = ("train", "validation", "test")
LOCAL_FORMATS = ("glue_tsv", "tsv", "tsv_noheader", "csv", "jsonl", "json", "conll", "squad_json", "parallel_text",
                 "jsonl_labels", "cluener_json", "parquet")
# Matched with fullmatch: `$` would also accept a trailing newline, which then reaches cache folders and CSV cells.
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


class CardError(UserError):
    def __init__(self, path: Path | str, field: str, problem: str):
        super().__init__(f"task card {path}: field '{field}': {problem}",
                         hint="see docs/task-authoring.md for the card format")


@dataclass(frozen=True)
class HubSource:
    path: str
    name: str | None
    revision: str | None
    splits: dict[str, str]          # role -> hub split name


@dataclass(frozen=True)
class LocalSource:
    format: str
    files: dict[str, str]           # role -> path relative to --data-dir
    columns: dict[str, str]         # overrides of the card's column mapping for these files
    # The files hold no test split (only an official dev set is public or at hand): test and validation are carved
    # out of the train file with the card's seeded split, which the card's description must state.
    carve_test: bool = False


@dataclass(frozen=True)
class ValidationCarve:
    """How to cut a validation split out of train when the source has none (e.g. GLUE, whose test is unlabelled)."""
    fraction: float = 0.1
    max_rows: int = 1000
    seed: int = 20240101


@dataclass(frozen=True)
class TaskCard:
    name: str
    family: str
    kind: str
    path: Path
    description: str
    hub: HubSource | None
    local: LocalSource | None
    sample: Path | None
    carve: ValidationCarve
    columns: dict[str, str]
    labels: tuple[str, ...]
    primary_metric: str
    metrics: tuple[str, ...]
    higher_is_better: bool | None     # optional; the kind's metric spec decides (check_card compares)
    hyperparameters: dict[str, Any]
    generation: dict[str, Any]
    options: dict[str, Any]
    metric_notes: str
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    references: tuple[Reference, ...] = ()     # published results to compare runs with (references.py)
    # Zero- and few-shot evaluation (tuning none / icl:K): a template over the standard fields ("Review: {text}
    # Sentiment:") and each label's word as it follows the prompt (negative: " negative"); None / {}: the kind's.
    prompt: str | None = None
    verbalizer: dict[str, str] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        """Content hash of the card: part of every job's identity, so editing a card re-runs its jobs (except for
        the fields in RESULT_NEUTRAL_FIELDS, and the prompt fields, which only the prompted jobs' hash holds)."""
        return _digest(_without(self.raw, RESULT_NEUTRAL_FIELDS + PROMPT_FIELDS))

    @property
    def prompted_hash(self) -> str:
        """The hash of a zero- or few-shot job's card: its prompt and label words change that job's result."""
        return _digest(_without(self.raw, RESULT_NEUTRAL_FIELDS))


def _digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


# Card fields left out of the card's hash, and so of job ids, because no value of theirs can change a result:
# rewording them must not train finished jobs again. `description` and `metrics.definition` are prose for people
# (what the task is, where it comes from, how its metric is computed); `metrics.higher_is_better` only restates
# the direction the kind's metric spec decides (a card that contradicts it is refused); `references` are published
# figures reports compare runs with.
RESULT_NEUTRAL_FIELDS = ("description", "metrics.definition", "metrics.higher_is_better", "references")
# Fields only jobs that train nothing read (tuning none / icl:K): out of the other jobs' card hash, so that adding
# or rewording a prompt trains nothing again.
PROMPT_FIELDS = ("prompt", "verbalizer")


def _without(data: Any, dotted: tuple[str, ...]) -> Any:
    """A copy of a card's mapping without the named (dotted) fields."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name in dotted:
        head, _, rest = name.partition(".")
        if not rest:
            out.pop(head, None)
        elif isinstance(out.get(head), dict):
            out[head] = _without(out[head], (rest,))
    return out


class _Fields:
    """Typed access to a YAML mapping that reports the dotted field name and the card file on any mistake."""

    def __init__(self, path: Path | str, data: Any, prefix: str = ""):
        self.path, self.prefix = path, prefix
        if not isinstance(data, dict):
            raise CardError(path, prefix.rstrip(".") or "<top>", f"expected a mapping, got {type(data).__name__}")
        self.data = data

    def _name(self, key: str) -> str:
        return self.prefix + key

    def fail(self, key: str, problem: str):
        raise CardError(self.path, self._name(key), problem)

    def get(self, key: str, types: type | tuple, default: Any = ..., choices: tuple | None = None) -> Any:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                self.fail(key, "missing (required)")
            return default
        value = self.data[key]
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.fail(key, f"expected {_type_names(types)}, got a boolean")
        if not isinstance(value, types):
            self.fail(key, f"expected {_type_names(types)}, got {type(value).__name__} {value!r}")
        if choices is not None and value not in choices:
            self.fail(key, f"{value!r} is not one of {', '.join(map(str, choices))}")
        return value

    def sub(self, key: str, required: bool = False) -> "_Fields | None":
        if key not in self.data or self.data[key] is None:
            if required:
                self.fail(key, "missing (required)")
            return None
        return _Fields(self.path, self.data[key], self._name(key) + ".")

    def str_map(self, key: str, default: dict | None = None, keys: tuple | None = None) -> dict[str, str]:
        value = self.get(key, dict, default if default is not None else {})
        for k, v in value.items():
            if keys is not None and k not in keys:
                self.fail(f"{key}.{k}", f"unknown key; expected one of {', '.join(keys)}")
            if not isinstance(v, str):
                self.fail(f"{key}.{k}", f"expected a string, got {type(v).__name__}")
        return dict(value)

    def unknown_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                hint = ""
                from harness.errors import did_you_mean
                suggestion = did_you_mean(str(key), allowed)
                if suggestion:
                    hint = f" ({suggestion})"
                self.fail(str(key), f"unknown field{hint}")


def _type_names(types: type | tuple) -> str:
    types = types if isinstance(types, tuple) else (types,)
    if set(types) == {int, float}:
        return "a number"
    names = {"str": "a string", "int": "an integer", "float": "a number", "dict": "a mapping", "list": "a list",
             "bool": "true/false"}
    return " or ".join(names.get(t.__name__, t.__name__) for t in types)


_TOP_FIELDS = ("name", "family", "kind", "description", "data", "columns", "labels", "metrics", "hyperparameters",
               "generation", "options", "references", "prompt", "verbalizer")
_HP_TYPES: dict[str, tuple] = card_hyperparameter_types()     # from harness.settings.Hyperparameters


def parse_card(data: Any, path: Path | str) -> TaskCard:
    """Validate a card's parsed YAML. Kind-specific checks happen in the registry, which knows the kinds."""
    f = _Fields(path, data)
    f.unknown_keys(_TOP_FIELDS)
    name = f.get("name", str)
    if not _NAME.fullmatch(name):
        f.fail("name", f"{name!r} must be lowercase letters, digits, '_', '-' or '.'")
    family = f.get("family", str, choices=FAMILIES)
    kind = f.get("kind", str)
    hub, local, sample, carve = _data_sources(f.sub("data", required=True), path)
    labels = f.get("labels", list, [])
    for i, label in enumerate(labels):
        if not isinstance(label, (str, int)) or isinstance(label, bool):
            f.fail(f"labels[{i}]", "expected a string")
        if str(label) in map(str, labels[:i]):
            f.fail(f"labels[{i}]", f"{label!r} is listed twice (each label needs its own class)")
    metrics_f = f.sub("metrics", required=True)
    primary, report = _metrics(metrics_f)
    generation = f.get("generation", dict, {})
    for key in generation:
        if key not in ("max_new_tokens", "num_beams", "length_penalty", "no_repeat_ngram_size"):
            f.fail(f"generation.{key}", "unknown generation setting")
    return TaskCard(
        name=name, family=family, kind=kind, path=Path(path), description=f.get("description", str, ""),
        hub=hub, local=local, sample=sample, carve=carve, columns=f.str_map("columns"),
        labels=tuple(str(x) for x in labels), primary_metric=primary, metrics=tuple(report),
        higher_is_better=metrics_f.get("higher_is_better", bool, None),
        hyperparameters=_hyperparameters(f.sub("hyperparameters")),
        generation=generation, options=f.get("options", dict, {}),
        metric_notes=metrics_f.get("definition", str, ""), raw=data,
        references=parse_references(data.get("references"), tuple(report), hub.splits["test"] if hub else None, f.fail),
        prompt=f.get("prompt", str, None), verbalizer=f.str_map("verbalizer"),
    )


def _data_sources(data_f: "_Fields", path: Path | str):
    """The card's `data` section: (hub, local, sample folder, validation carve)."""
    data_f.unknown_keys(("hub", "local", "sample", "validation"))
    hub = None
    if (h := data_f.sub("hub")) is not None:
        h.unknown_keys(("path", "name", "revision", "splits"))
        hub = HubSource(path=h.get("path", str), name=h.get("name", str, None), revision=h.get("revision", str, None),
                        splits=h.str_map("splits", keys=SPLIT_ROLES))
        if "train" not in hub.splits or "test" not in hub.splits:
            h.fail("splits", "must name at least the train and test splits")
    local = None
    if (loc := data_f.sub("local")) is not None:
        loc.unknown_keys(("format", "files", "columns", "carve_test"))
        local = LocalSource(format=loc.get("format", str, choices=LOCAL_FORMATS),
                            files=loc.str_map("files", keys=SPLIT_ROLES), columns=loc.str_map("columns"),
                            carve_test=loc.get("carve_test", bool, False))
        for role, rel in local.files.items():
            if not _inside(rel):
                loc.fail(f"files.{role}", f"{rel!r} leaves the data directory; give a path inside it "
                         "(no leading '/' or '~', no '..')")
        if local.carve_test and "test" in local.files:
            loc.fail("carve_test", "a test file is named too; carve_test is for files without a test split")
        if "train" not in local.files or ("test" not in local.files and not local.carve_test):
            loc.fail("files", "must name at least the train and test files")
    sample = None
    if "sample" in data_f.data:
        sample = Path(path).parent / data_f.get("sample", str)
    carve = ValidationCarve()
    if (v := data_f.sub("validation")) is not None:
        v.unknown_keys(("fraction", "max_rows", "seed"))
        carve = ValidationCarve(fraction=float(v.get("fraction", (int, float), carve.fraction)),
                                max_rows=v.get("max_rows", int, carve.max_rows), seed=v.get("seed", int, carve.seed))
        if not 0 < carve.fraction < 1:
            v.fail("fraction", "must be between 0 and 1")
    if hub is None and local is None and sample is None:
        data_f.fail("hub", "a card needs at least one data source: hub, local or sample")
    return hub, local, sample, carve


def _inside(relative: str) -> bool:
    """Whether a card's local file path stays inside the data directory it is joined to: relative, no '..', no '~'
    (which expanduser would turn into the home folder)."""
    path = Path(relative)
    return bool(relative.strip()) and not path.is_absolute() and ".." not in path.parts and \
        not relative.startswith("~")


def _metrics(metrics_f: "_Fields") -> tuple[str, list[str]]:
    """The card's `metrics` section: (primary metric, metrics kept in results, primary first if not listed)."""
    metrics_f.unknown_keys(("primary", "report", "higher_is_better", "definition"))
    primary = metrics_f.get("primary", str)
    report = metrics_f.get("report", list, [primary])
    for i, m in enumerate(report):
        if not isinstance(m, str):
            metrics_f.fail(f"report[{i}]", "expected a metric name")
    return primary, report if primary in report else [primary, *report]


def _hyperparameters(hp_f: "_Fields | None") -> dict[str, Any]:
    hyperparameters: dict[str, Any] = {}
    if hp_f is None:
        return hyperparameters
    hp_f.unknown_keys(tuple(_HP_TYPES))
    for key, types in _HP_TYPES.items():
        if float in types and isinstance(hp_f.data.get(key), str):
            # PyYAML reads `1e-4` (no dot) as a string; accept what is plainly a number.
            try:
                hp_f.data[key] = float(hp_f.data[key])
            except ValueError:
                pass
        value = hp_f.get(key, types, None)
        if value is not None:
            if problem := hyperparameter_problem(key, value):
                hp_f.fail(key, problem)
            hyperparameters[key] = value
    return hyperparameters


def load_card(path: Path) -> TaskCard:
    """Read and validate one card file."""
    return parse_card(yamlfile.read(path, "task card"), path)
