"""Side by side: a harness job vs the Hugging Face example script's configuration for the same task kind, on the
same rows (the harness's own prepared splits, cut to --train-rows / --eval-rows), model, hyperparameters, max
lengths and seed, in this one process.

  ner            CoNLL-2003 vs run_ner (reference_ner.py): padded to max length, and with dynamic padding
  qa             SQuAD v1.1 dev (train, validation and test carved from it by paragraph, as the squad card does
                 with --data squad=dev-v1.1.json) vs run_qa (reference_qa.py): padded to 384, and dynamic
  translation    wmt16_en_ro vs run_translation, summarization: xsum vs run_summarization (reference_seq2seq.py);
                 an encoder model becomes bert2bert on both sides. Training and generation are timed apart; the
                 reference also generates with the harness's trained weights and the harness's generation settings,
                 greedy and beam search, so its outputs can be checked against the harness's token for token.

Printed per side: steady-state training samples/s, test evaluation examples/s, end-to-end wall time (loading,
tokenizing, training, evaluating; the harness also validates every epoch), the card's primary metric, and the ratios.

  python benchmarks/vs_reference.py --kind ner --train-rows 1000 --eval-rows 500
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from reference_common import DEFAULT_DATA, harness_rows, load_average, resolve_model_dir, run_harness

TASKS = {"ner": "conll2003", "qa": "squad", "translation": "wmt16_en_ro", "summarization": "xsum"}


def harness_side(record: dict, wall: float) -> dict:
    return {"samples_per_s": record["train"]["samples_per_s"], "train_seconds": record["train"]["seconds"],
            "eval_seconds": record["eval"]["seconds"], "eval_examples": record["eval"]["examples"],
            "wall_seconds": wall, "score": record["score"], "load": load_average()}


def timed_reference(function, *arguments, **options) -> dict:
    start = time.perf_counter()
    figures = function(*arguments, **options)
    figures.update(wall_seconds=time.perf_counter() - start, load=load_average())
    return figures


def job_options(args, model_dir: str) -> dict:
    task = TASKS[args.kind]
    where = ({"data": [f"squad={Path(args.data_dir) / 'squad' / 'dev-v1.1.json'}"]} if args.kind == "qa"
             else {"data_dir": args.data_dir})
    return {"models": model_dir, "tasks": task, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
            "max_length": args.max_length, "max_train_samples": args.train_rows, "max_eval_samples": args.eval_rows,
            "device": "cpu", **where}


def compare_encoder_kind(args, model_dir: str, scratch: Path) -> dict:
    """NER or QA: one harness job, then the reference padded to max length and with dynamic padding."""
    from types import SimpleNamespace

    options = job_options(args, model_dir)
    record, wall = run_harness(scratch / "harness", **options)
    rows = harness_rows(model_dir, options["tasks"], data_dir=options.get("data_dir"), data=options.get("data", ()),
                        max_train=args.train_rows, max_eval=args.eval_rows)
    hp = args.hp = record["hyperparameters"]
    settings = SimpleNamespace(batch_size=hp["batch_size"], lr=hp["lr"], epochs=hp["epochs"],
                               max_length=hp["max_length"], doc_stride=128)
    sides = {"harness": harness_side(record, wall)}
    for padding in args.padding.split(","):
        pad = padding == "max_length"
        if args.kind == "ner":
            from reference_ner import run_ner_reference
            from harness.tasks.registry import Registry
            labels = list(Registry().cards["conll2003"].labels)
            sides[f"run_ner ({padding})"] = timed_reference(run_ner_reference, model_dir, rows, labels, settings, pad)
        else:
            from reference_qa import run_qa_reference
            sides[f"run_qa ({padding})"] = timed_reference(run_qa_reference, model_dir, rows, settings, pad)
    return sides


def compare_seq2seq(args, model_dir: str, scratch: Path) -> dict:
    """Translation or summarization: the harness job (greedy), its saved weights evaluated by the harness with beam
    search, the reference trained on the same rows, and the reference generating with the harness's weights."""
    import harness
    from harness.kinds.seq2seq import generate_arguments
    from reference_common import test_predictions
    from reference_seq2seq import generate_with, same_output, train_reference

    options = job_options(args, model_dir)
    beams = [int(b) for b in args.num_beams.split(",")]
    record, wall = run_harness(scratch / "harness", num_beams=beams[0], save="all", **options)
    ours = {beams[0]: harness_side(record, wall)}
    ours[beams[0]]["predictions"] = test_predictions(scratch / "harness", record)
    weights = scratch / "harness" / "models" / record["job"]
    for width in beams[1:]:
        start = time.perf_counter()
        again = harness.evaluate(models=[str(weights)], output=scratch / f"eval-{width}", num_beams=width,
                                 latency_requests=0, write_report=False, executor="inline", device="cpu",
                                 **{k: options[k] for k in ("data_dir", "max_eval_samples")})[0]
        ours[width] = {**harness_side(again, time.perf_counter() - start),
                       "predictions": test_predictions(scratch / f"eval-{width}", again)}
    rows = harness_rows(model_dir, options["tasks"], data_dir=args.data_dir, max_train=args.train_rows,
                        max_eval=args.eval_rows)
    hp = args.hp = {**record["hyperparameters"]}
    prefix = source_prefix(model_dir, options["tasks"])
    sides = {}
    for width in beams:
        generation = generate_arguments({**record["generation"]["settings"], "num_beams": width})
        if width == beams[0]:
            sides["harness"] = {k: v for k, v in ours[width].items() if k != "predictions"}
            reference = timed_reference(train_reference, model_dir, rows, hp, prefix, generation)
            sides[f"{args.script} (own weights, beams {width})"] = _scored(reference, rows, options["tasks"])
        same = generate_with(str(weights), rows["test"], hp, prefix, generation)
        identical = sum(same_output(a, b) for a, b in zip(ours[width]["predictions"], same["predictions"]))
        sides[f"harness generation, beams {width}"] = {"eval_seconds": ours[width]["eval_seconds"],
                                                        "eval_examples": ours[width]["eval_examples"],
                                                        "load": ours[width]["load"]}
        sides[f"{args.script} generation, harness weights, beams {width}"] = {
            "eval_seconds": same["eval_seconds"], "eval_examples": same["eval_examples"], "load": load_average(),
            "identical_outputs": f"{identical}/{len(same['predictions'])}"}
    return sides


def source_prefix(model_dir: str, task: str) -> str:
    """The card's source prefix for T5-style models, as the harness adds it and the examples' READMEs pass it with
    --source_prefix; none for other models."""
    from transformers import AutoConfig

    from harness.kinds.seq2seq import PREFIXED_MODEL_TYPES
    from harness.tasks.registry import Registry

    if AutoConfig.from_pretrained(model_dir).model_type not in PREFIXED_MODEL_TYPES:
        return ""
    return Registry().cards[task].options.get("source_prefix", "")


def _scored(reference: dict, rows: dict, task: str) -> dict:
    from harness.kinds.seq2seq import _scores
    from harness.tasks.registry import Registry

    card = Registry().cards[task]
    reference["score"] = _scores(card, reference.pop("predictions"), list(rows["test"]["target"]))[card.primary_metric]
    return reference


def print_table(args, sides: dict) -> None:
    hp = args.hp
    print(f"{args.kind}: model {args.model}, {args.train_rows} train rows x {hp['epochs']:g} epochs, batch "
          f"{hp['batch_size']}, lr {hp['lr']:g}, max length {hp['max_length']}, {args.eval_rows} test rows")
    print(f"{'':58} {'train/s':>8} {'train s':>8} {'eval/s':>8} {'eval s':>8} {'wall s':>8} {'score':>8}  load")
    for name, f in sides.items():
        rate = f["eval_examples"] / f["eval_seconds"] if f.get("eval_seconds") else None
        cells = [f.get("samples_per_s"), f.get("train_seconds"), rate, f.get("eval_seconds"), f.get("wall_seconds"),
                 f.get("score")]
        text = " ".join(f"{c:8.2f}" if isinstance(c, (int, float)) else f"{'':>8}" for c in cells)
        extra = f"  identical outputs {f['identical_outputs']}" if "identical_outputs" in f else ""
        print(f"{name:58} {text}  {f.get('load', '')}{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", required=True, choices=sorted(TASKS))
    parser.add_argument("--model", default="minilm", help="an alias, a hub id in the cache, or a model directory")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    parser.add_argument("--train-rows", type=int, default=1000)
    parser.add_argument("--eval-rows", type=int, default=300, help="first N validation and test rows")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, help="default: the card's")
    parser.add_argument("--lr", type=float, help="default: the card's")
    parser.add_argument("--max-length", type=int, help="default: the card's")
    parser.add_argument("--padding", default="max_length,dynamic", help="NER and QA: reference padding variants")
    parser.add_argument("--num-beams", default="1,4", help="translation and summarization: search widths, the "
                        "first also used to train and score")
    parser.add_argument("--scratch", help="folder for the runs  [default: a temp dir]")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    args.script = {"translation": "run_translation", "summarization": "run_summarization"}.get(args.kind)
    scratch = Path(args.scratch) if args.scratch else Path(tempfile.mkdtemp(prefix="vs-reference-"))
    model_dir = resolve_model_dir(args.model, scratch)
    compare = compare_seq2seq if args.script else compare_encoder_kind
    sides = compare(args, model_dir, scratch)
    print_table(args, sides)
    if args.json:
        Path(args.json).write_text(json.dumps({"arguments": vars(args), "sides": sides}, indent=1))


if __name__ == "__main__":
    main()
