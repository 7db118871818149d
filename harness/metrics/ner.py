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
