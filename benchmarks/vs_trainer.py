"""Side by side: the harness vs Hugging Face Trainer fine-tuning the same model on the same SST-2 rows.

Trainer is configured as transformers' run_glue example does by default (every example padded to max length,
random batches, AdamW, linear decay, fp32 unless --precision bf16). Both runs use the same model, rows, batch size,
learning rate, epochs and seed, in this one process. Printed: steady-state training samples/s of each (the first
steps excluded, timed with device synchronisation), end-to-end training wall time, dev accuracy, and the ratios.

CPU (here):  python benchmarks/vs_trainer.py --model minilm --train-rows 4000 --epochs 1 --lr 1e-4
GPU:         python benchmarks/vs_trainer.py --model bert-base-random --train-rows all --epochs 3 --lr 2e-5 \
                 --precision bf16 --device cuda
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from reference_common import (DEFAULT_DATA, harness_rows, optimizer_steps, reference_arguments, resolve_model_dir,
                              run_harness, steady_state_clock)


def harness_figures(model_dir: str, args, output: Path) -> dict:
    record, wall = run_harness(output, models=model_dir, tasks="sst2", data_dir=args.data_dir,
                               max_train_samples=args.train_rows, epochs=args.epochs, batch_size=args.batch_size,
                               lr=args.lr, max_length=args.max_length, precision=args.precision, device=args.device,
                               compile=args.compile)
    return {"samples_per_s": record["train"]["samples_per_s"], "train_seconds": record["train"]["seconds"],
            "compile_seconds": record["train"].get("compile_seconds"), "accuracy": record["metrics"]["accuracy"],
            "compiled": record["train"].get("compiled"), "compile_error": record["train"].get("compile_error"),
            "job_wall_seconds": wall, "train_rows": record["data"]["used"]["train"]}


def run_trainer(model_dir: str, args) -> dict:
    import time

    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, set_seed

    rows = harness_rows(model_dir, "sst2", data_dir=args.data_dir, max_train=args.train_rows)
    train, test = rows["train"], rows["test"]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    def encode(batch):   # run_glue default: pad_to_max_length=True
        out = tokenizer(batch["text"], padding="max_length", max_length=args.max_length, truncation=True)
        out["labels"] = batch["label"]
        return out
    train_ds = train.map(encode, batched=True, remove_columns=train.column_names)
    test_ds = test.map(encode, batched=True, remove_columns=test.column_names)

    set_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    device_is_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    steady = steady_state_clock(args.batch_size, optimizer_steps(len(train_ds), args.batch_size, args.epochs),
                                device_is_cuda)
    training_args = reference_arguments(batch_size=args.batch_size, lr=args.lr, epochs=args.epochs,
                                        cuda=device_is_cuda, bf16=args.precision == "bf16")
    trainer = Trainer(model=model, args=training_args, train_dataset=train_ds, callbacks=[steady])
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    predictions = trainer.predict(test_ds)
    accuracy = float((np.argmax(predictions.predictions, -1) == np.asarray(test_ds["labels"])).mean())
    return {"samples_per_s": steady.samples_per_s(), "train_seconds": train_seconds, "accuracy": accuracy,
            "train_rows": len(train_ds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="minilm", help="minilm, bert-base-random, or a model directory")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA), help="folder holding sst2/train.tsv and dev.tsv")
    parser.add_argument("--train-rows", default="4000", help="first N train rows, or 'all'")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--compile", default="auto", choices=["auto", "on", "off"])
    parser.add_argument("--trainer-epochs", type=float, help="run Trainer for fewer epochs than the harness and scale "
                        "its training time to --epochs (its per-epoch time is constant); saves GPU time")
    parser.add_argument("--scratch", help="folder for the generated model and the harness run  [default: a temp dir]")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    args.train_rows = None if args.train_rows == "all" else int(args.train_rows)
    if not (Path(args.data_dir) / "sst2" / "train.tsv").is_file():
        raise SystemExit(f"no SST-2 files under {args.data_dir} (expected sst2/train.tsv and sst2/dev.tsv)")

    scratch = Path(args.scratch) if args.scratch else Path(tempfile.mkdtemp(prefix="vs-trainer-"))
    model_dir = resolve_model_dir(args.model, scratch)
    ours = harness_figures(model_dir, args, scratch / "run")
    trainer_args = argparse.Namespace(**{**vars(args), "epochs": args.trainer_epochs or args.epochs})
    theirs = run_trainer(model_dir, trainer_args)
    if args.trainer_epochs and args.trainer_epochs != args.epochs:
        theirs["measured_train_seconds"] = theirs["train_seconds"]
        theirs["train_seconds"] *= args.epochs / args.trainer_epochs
        theirs["note"] = f"Trainer ran {args.trainer_epochs:g} epoch(s); its train time is scaled to {args.epochs:g}"
    speedup = ours["samples_per_s"] / theirs["samples_per_s"] if theirs["samples_per_s"] else None
    figures = {"model": args.model, "device": args.device, "precision": args.precision, "epochs": args.epochs,
               "batch_size": args.batch_size, "lr": args.lr, "harness": ours, "trainer": theirs,
               "steady_state_speedup": speedup,
               "end_to_end_speedup": theirs["train_seconds"] / ours["train_seconds"],
               "accuracy_difference_points": 100 * (ours["accuracy"] - theirs["accuracy"])}
    print(f"model {args.model}, {ours['train_rows']} train rows x {args.epochs:g} epochs, batch {args.batch_size}, "
          f"lr {args.lr:g}, {args.precision}, device {args.device}")
    print(f"{'':10} {'samples/s':>12} {'train s':>9} {'dev acc':>8}")
    print(f"{'harness':10} {ours['samples_per_s']:12.1f} {ours['train_seconds']:9.1f} {ours['accuracy']:8.4f}"
          + (f"   (compile {ours['compile_seconds']:.1f} s, included in train s)" if ours.get("compile_seconds")
             else ""))
    print(f"{'Trainer':10} {theirs['samples_per_s'] or float('nan'):12.1f} {theirs['train_seconds']:9.1f} "
          f"{theirs['accuracy']:8.4f}")
    if ours.get("compile_error"):
        print(f"harness: a compiled step failed and the job continued eagerly: {ours['compile_error']}")
    if theirs.get("note"):
        print(f"note: {theirs['note']} (accuracy is after {args.trainer_epochs:g} epoch(s))")
    print(f"ratio harness/Trainer: steady-state samples/s {speedup:.2f}x, end-to-end training time "
          f"{figures['end_to_end_speedup']:.2f}x, accuracy {figures['accuracy_difference_points']:+.1f} points")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
