"""The task registry: bundled cards, cards from --tasks-dir, and kinds (built-in plus entry-point plugins).

Third-party kinds register through the entry-point group `harness.tasks`: the entry point names a TaskKind
subclass; if the class has a `cards_dir` attribute, the cards in that folder are registered too.
"""
from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Iterable

from harness.errors import UserError, did_you_mean
from harness.kinds.base import TaskKind
from harness.paths import cards_dir
from harness.tasks.card import FAMILIES, CardError, TaskCard, load_card
from harness.tasks.pick import pick_tasks, split_names

ENTRY_POINT_GROUP = "harness.tasks"
BUILTIN_KINDS = {
    "classification": "harness.kinds.classification:ClassificationKind",
    "regression": "harness.kinds.regression:RegressionKind",
    "token_classification": "harness.kinds.token_classification:TokenClassificationKind",
    "extractive_qa": "harness.kinds.extractive_qa:ExtractiveQAKind",
    "extractive_qa_zh": "harness.kinds.chinese_qa:ChineseExtractiveQAKind",
    "seq2seq": "harness.kinds.seq2seq:Seq2SeqKind",
    "multiple_choice": "harness.kinds.multiple_choice:MultipleChoiceKind",
    "multi_label": "harness.kinds.multi_label:MultiLabelKind",
}


@functools.lru_cache(maxsize=None)
def _plugin_kinds() -> dict[str, type[TaskKind]]:
    kinds = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the tool
            raise UserError(f"task plugin {ep.name!r} ({ep.value}) failed to load: {exc}",
                            hint="fix or uninstall the plugin package") from None
        if not (isinstance(cls, type) and issubclass(cls, TaskKind)):
            raise UserError(f"task plugin {ep.name!r} ({ep.value}) is not a TaskKind subclass")
        kinds[getattr(cls, "name", ep.name)] = cls
    return kinds


def kind_names() -> list[str]:
    return sorted({*BUILTIN_KINDS, *_plugin_kinds()})


@functools.lru_cache(maxsize=None)
def load_kind(name: str) -> TaskKind:
    if name in _plugin_kinds():
        return _plugin_kinds()[name]()
    if name not in BUILTIN_KINDS:
        raise UserError(f"unknown task kind {name!r}", hint=did_you_mean(name, kind_names()) or
                        "kinds: " + ", ".join(kind_names()))
    module, _, attr = BUILTIN_KINDS[name].partition(":")
    return getattr(importlib.import_module(module), attr)()


class Registry:
    """Every known task card, validated against its kind."""

    def __init__(self, tasks_dirs: Iterable[str | Path] = ()):
        self.cards: dict[str, TaskCard] = {}
        self._load_dir(cards_dir(), override=False)
        for cls in _plugin_kinds().values():
            if getattr(cls, "cards_dir", None):
                self._load_dir(Path(cls.cards_dir), override=False)
        for directory in tasks_dirs:
            path = Path(directory).expanduser()
            if not path.is_dir():
                raise UserError(f"--tasks-dir {directory}: not a directory", hint="pass a folder of *.yaml task cards")
            self._load_dir(path, override=True)

    def _load_dir(self, directory: Path, override: bool) -> None:
        for file in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
            self.add(file, override)

    def add(self, file: Path, override: bool = False) -> TaskCard:
        """Load, check and register one card file (also a card inferred from own data: harness.tasks.own_data)."""
        card = load_card(file)
        if card.kind not in kind_names():
            raise CardError(file, "kind", f"unknown kind {card.kind!r}; "
                            + (did_you_mean(card.kind, kind_names()) or "kinds: " + ", ".join(kind_names())))
        load_kind(card.kind).check_card(card)
        if card.name in self.cards and not override:
            raise CardError(file, "name", f"task {card.name!r} is already defined in {self.cards[card.name].path}")
        self.cards[card.name] = card
        return card

    def card(self, name: str) -> TaskCard:
        if name not in self.cards:
            raise UserError(f"unknown task {name!r}", hint=did_you_mean(name, [*self.cards, *FAMILIES, "all"])
                            or "see `harness list tasks`")
        return self.cards[name]

    def ordered(self) -> list[TaskCard]:
        return sorted(self.cards.values(), key=lambda c: (FAMILIES.index(c.family), c.name))

    def select(self, spec: str | Iterable[str]) -> tuple[list[TaskCard], set[str]]:
        """Cards for a comma list of task names, family names or `all`, in a stable order.

        Returns the cards and the names the user gave explicitly (those must have data; family/all picks may be
        skipped with a warning when their data is unavailable).
        """
        if not split_names(spec):
            raise UserError("no tasks given", hint="e.g. --tasks sst2,stsb, a family like classification, or all")
        families = {c.name: c.family for c in self.ordered()}
        names, explicit = pick_tasks(spec, families, self.card, family_names=FAMILIES)
        return [self.cards[name] for name in names], explicit
