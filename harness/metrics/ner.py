"""Entity-level NER metrics: seqeval in its default (conlleval-compatible) mode over IOB2 tag sequences.

An entity is a maximal chunk of one type; like conlleval, a chunk may start with I- (ill-formed model output) and
two adjacent entities of one type are separated by B-. Scores are micro-averaged over entity types.
"""
from __future__ import annotations


def entity_types(labels) -> list[str]:
    """The entity types named by IOB labels (B-PER, I-PER, ... -> PER), in first-seen order."""
    return list(dict.fromkeys(label[2:] for label in labels if label[:2] in ("B-", "I-")))


def ner_metrics(references: list[list[str]], predictions: list[list[str]], types: list[str] = ()) -> dict:
    """f1 / precision / recall (entity-level, micro), token accuracy and f1_<TYPE> for every type in `types`."""
    from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score

    metrics = {
        "f1": float(f1_score(references, predictions, zero_division=0)),
        "precision": float(precision_score(references, predictions, zero_division=0)),
        "recall": float(recall_score(references, predictions, zero_division=0)),
        "accuracy": float(accuracy_score(references, predictions)),
    }
    report = classification_report(references, predictions, output_dict=True, zero_division=0)
    for entity_type in types or ():
        metrics[f"f1_{entity_type}"] = float(report.get(entity_type, {}).get("f1-score", 0.0))
    return metrics


# --- specs: entity counts per example -----------------------------------------------------------------------------
NER_METRICS = ("f1", "precision", "recall", "accuracy")


def _entity_counts(entity_type: str | None):
    """Per example: [correct entities, predicted, gold, correct tokens, tokens] (of one type, or of all)."""
    def statistics(predictions, references, **_):
        from seqeval.metrics.sequence_labeling import get_entities

        from harness.metrics.spec import CannotRecompute

        rows = []
        for pred, gold in zip(predictions, references):
            if isinstance(pred, str) or isinstance(gold, str) or len(pred) != len(gold):
                raise CannotRecompute("predictions are not tag sequences aligned with the references")
            p, g = set(get_entities(list(pred))), set(get_entities(list(gold)))
            if entity_type is not None:
                p, g = {e for e in p if e[0] == entity_type}, {e for e in g if e[0] == entity_type}
            rows.append([len(p & g), len(p), len(g), sum(a == b for a, b in zip(pred, gold)), len(gold)])
        return rows
    return statistics


def _entity_reduce(metric: str):
    def reduce(s):
        from harness.metrics.spec import safe_div

        tp, n_pred, n_gold, correct, tokens = s.T
        if metric == "accuracy":
            return safe_div(correct, tokens)
        precision, recall = safe_div(tp, n_pred), safe_div(tp, n_gold)
        if metric == "precision":
            return precision
        if metric == "recall":
            return recall
        return safe_div(2 * precision * recall, precision + recall)     # seqeval: harmonic mean of the two
    return reduce


def ner_spec(metric: str):
    """The spec of f1 / precision / recall / accuracy, or of f1_<TYPE> (one entity type's F1)."""
    from harness.metrics.spec import MetricSpec

    if metric.startswith("f1_"):
        return MetricSpec(metric, True, "unit", _entity_counts(metric[3:]), _entity_reduce("f1"))
    if metric not in NER_METRICS:
        raise KeyError(metric)
    return MetricSpec(metric, True, "unit", _entity_counts(None), _entity_reduce(metric))
