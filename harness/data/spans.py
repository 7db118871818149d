"""Entity spans <-> IOB2 tags over characters, for NER data annotated with character offsets (CLUENER2020).

CLUENER2020 writes each sentence's entities as `{"label": {TYPE: {MENTION: [[start, end], ...]}}}` with an
*inclusive* end offset. Chinese has no word boundaries, so the words are the sentence's characters and each gets one
tag: B-TYPE on the first character of a mention, I-TYPE on the others, O elsewhere.
"""
from __future__ import annotations

from harness.errors import UserError


def spans_to_tags(text: str, label: dict | None, where: str) -> list[str]:
    """One IOB2 tag per character of `text` from CLUENER entity spans; a UserError names the example for a span
    outside the text or a span whose characters are not its mention.

    One tag per character cannot hold an entity inside another: the outer (earlier starting, then longer) span is
    kept and a span overlapping it is left out (2 of the 23,971 train mentions, none of dev's)."""
    tags = ["O"] * len(text)
    for kind, start, end, mention in entity_spans(label, where):
        if not (0 <= start <= end < len(text)):
            raise UserError(f"{where}: {kind} span [{start}, {end}] lies outside the {len(text)}-character text")
        if text[start:end + 1] != mention:
            raise UserError(f"{where}: {kind} span [{start}, {end}] is {text[start:end + 1]!r}, not {mention!r}",
                            hint="CLUENER offsets are character indices with an inclusive end")
        if all(tag == "O" for tag in tags[start:end + 1]):
            tags[start:end + 1] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start)
    return tags


def entity_spans(label: dict | None, where: str) -> list[tuple[str, int, int, str]]:
    """(type, start, inclusive end, mention) of every span in a CLUENER `label` mapping, by start (the longer
    first)."""
    if label is None:
        return []
    if not isinstance(label, dict):
        raise UserError(f"{where}: 'label' must map entity types to {{mention: [[start, end], ...]}}")
    spans = []
    for kind, mentions in label.items():
        if not isinstance(mentions, dict):
            raise UserError(f"{where}: entities of type {kind!r} must map each mention to [[start, end], ...]")
        for mention, offsets in mentions.items():
            for pair in offsets if isinstance(offsets, list) else [offsets]:
                if not (isinstance(pair, list) and len(pair) == 2 and all(_whole(x) for x in pair)):
                    raise UserError(f"{where}: {kind} {mention!r}: offsets {pair!r} are not [start, end]")
                spans.append((str(kind), int(pair[0]), int(pair[1]), str(mention)))
    return sorted(spans, key=lambda span: (span[1], -span[2]))


def tags_to_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, start, inclusive end) of each entity in IOB2 tags: a B- tag (or a stray I- tag) opens one, and the
    I- tags of its type right after it extend it."""
    spans: list[list] = []
    for position, tag in enumerate(tags):
        if tag.startswith("I-") and spans and spans[-1][2] == position - 1 and spans[-1][0] == tag[2:]:
            spans[-1][2] = position
        elif tag != "O":
            spans.append([tag[2:], position, position])
    return [tuple(span) for span in spans]


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
