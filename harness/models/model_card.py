"""The README.md model card of a saved model: YAML metadata in the Hugging Face Hub's format, then the facts a reader
needs to trust and reproduce the model (hyperparameters, seed, tuning, cost, data, the exact command).

Built from the folder's harness.json (harness.models.saving.describe) and the job's record, after the test
evaluation: the card's metrics are the record's. `huggingface_hub.ModelCard` parses it (tests/test_save_model.py).
"""
from __future__ import annotations

import yaml

# Hub pipeline tags by the saved head's Auto class; seq2seq models by task family.
_PIPELINE_TAGS = {"AutoModelForSequenceClassification": "text-classification",
                  "AutoModelForTokenClassification": "token-classification",
                  "AutoModelForQuestionAnswering": "question-answering",
                  "AutoModelForCausalLM": "text-generation"}
_SEQ2SEQ_TAGS = {"translation": "translation", "summarization": "summarization"}


def pipeline_tag(info: dict) -> str | None:
    if info["kind"] == "multiple_choice":       # a scorer per (context, choice) pair: no hub pipeline fits
        return None
    if info["auto_class"] == "AutoModelForSeq2SeqLM":
        return _SEQ2SEQ_TAGS.get(info["task_family"], "text2text-generation")
    return _PIPELINE_TAGS.get(info["auto_class"])


def metadata(info: dict) -> dict:
    """The YAML block: base_model, datasets, library_name, pipeline_tag, tags and model-index (test metrics)."""
    # the hub's fields name hub repositories: a local base model or local data is only described in the text
    hub = (info.get("data") or {}).get("hub")
    dataset = {"type": hub["path"], "name": info["task"]} if hub else {"type": info["task"], "name": info["task"]}
    if hub and hub.get("name"):
        dataset["config"] = hub["name"]
    if hub and hub.get("revision"):
        dataset["revision"] = hub["revision"]
    dataset["split"] = "test"
    intervals = info.get("intervals") or {}
    metrics = [{"type": name, "value": value, "name": f"test {name}",
                **({"ci95": list(intervals[name])} if name in intervals else {})}
               for name, value in (info.get("metrics") or {}).items() if isinstance(value, (int, float))]
    tag = pipeline_tag(info)
    data = {**({"base_model": info["base_model"]} if not info.get("base_model_local") else {}),
            "library_name": "transformers", **({"pipeline_tag": tag} if tag else {}),
            **({"datasets": [hub["path"]]} if hub else {}),
            "tags": ["harness", info["task"], info["tuning"]],
            "model-index": [{"name": f"{info['model']}-{info['task']}-{info['job']}", "results": [{
                "task": {"type": tag or info["kind"], "name": info["task_family"]},
                "dataset": dataset, "metrics": metrics}]}]}
    if info["weights"] == "adapter":
        data["tags"].append("peft")
    return data


def model_card(info: dict, record: dict, command: str | None) -> str:
    """The whole README.md: front matter, then the text."""
    front = yaml.safe_dump(metadata(info), sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n" + "\n\n".join(_sections(info, record, command)) + "\n"


def _sections(info: dict, record: dict, command: str | None) -> list[str]:
    title = f"# {info['model']} fine-tuned on {info['task']}"
    what = (f"{info['model']} (`{info['base_model']}`) fine-tuned on the `{info['task']}` task "
            f"({info['task_family']}, kind `{info['kind']}`) with `harness`, tuning `{info['tuning']}`, seed "
            f"{info['seed']}. Weights: {_weights(info)}.")
    return [title, what, _results(info), _training(info), _cost(record), _data(info, record),
            _usage(info), _reproduce(info, command)]


def _weights(info: dict) -> str:
    return {"full": "the fine-tuned model",
            "adapter": "the base model with its trained head, and the LoRA adapter, which `from_pretrained` applies "
                       "(needs `peft`)",
            "merged": "the LoRA adapter merged into the weights; the adapter alone is in `adapter/`"}[info["weights"]]


def _results(info: dict) -> str:
    intervals = info.get("intervals") or {}
    lines = ["## Results (test split)", "", "| metric | value | 95 % interval (bootstrap over test examples) |",
             "|---|---|---|"]
    for name, value in (info.get("metrics") or {}).items():
        low_high = intervals.get(name)
        shown = f"[{low_high[0]:.4f}, {low_high[1]:.4f}]" if low_high else "n/a"
        lines.append(f"| {name}{' (primary)' if name == info['primary_metric'] else ''} | {_number(value)} | "
                     f"{shown} |")
    lines.append("")
    lines.append(f"Validation {info['primary_metric']}: {_number(info.get('validation_score'))} (the split the "
                 "epoch and, with `--save best`, this model were chosen on).")
    return "\n".join(lines)


def _training(info: dict) -> str:
    settings = {**info["hyperparameters"], **({f"lora_{k}": v for k, v in info["lora"].items()}
                                               if info.get("lora") else {})}
    rows = "\n".join(f"| {k} | {v if v not in ((), []) else 'default'} |" for k, v in settings.items() if v is not None)
    grid = ", ".join(f"{k}={v}" for k, v in (info.get("grid") or {}).items()) or "none"
    return (f"## Training\n\nTuning strategy: `{info['tuning']}`. Seed: {info['seed']}. Grid point: {grid}. "
            f"Precision: {info['precision']} on {info['device']}.\n\n| hyperparameter | value |\n|---|---|\n{rows}")


def _cost(record: dict) -> str:
    train, evaluation, memory = record.get("train") or {}, record.get("eval") or {}, record.get("memory") or {}
    peak = memory.get("peak_gpu_bytes") or memory.get("peak_rss_bytes")
    where = "GPU" if memory.get("peak_gpu_bytes") else "RSS"
    return ("## Cost\n\n| figure | value |\n|---|---|\n"
            f"| training samples/s | {_number(train.get('samples_per_s'))} |\n"
            f"| training tokens/s | {_number(train.get('tokens_per_s'))} |\n"
            f"| training seconds | {_number(train.get('seconds'))} |\n"
            f"| latency p50 / p95 (batch 1, ms) | {_number(evaluation.get('latency_ms_p50'))} / "
            f"{_number(evaluation.get('latency_ms_p95'))} |\n"
            f"| peak memory ({where}) | {_bytes(peak)} |\n"
            f"| parameters (trainable) | {record.get('params')} ({record.get('trainable_params')}) |")


def _data(info: dict, record: dict) -> str:
    data = info.get("data") or {}
    used = ", ".join(f"{k} {v}" for k, v in (data.get("used") or {}).items())
    sample = " These are the bundled synthetic samples, not real data." if data.get("origin") == "sample" else ""
    return f"## Data\n\n{data.get('description') or data.get('origin')}. Rows used: {used}.{sample}"


def _usage(info: dict) -> str:
    auto = info.get("auto_class") or "AutoModel"
    return (f"## Use\n\n```python\nfrom transformers import {auto}, AutoTokenizer\n\n"
            f"model = {auto}.from_pretrained(PATH)\ntokenizer = AutoTokenizer.from_pretrained(PATH)\n```\n\n"
            "`harness.json` beside this card holds the task, kind, card hash, labels and settings `harness eval` "
            "needs.")


def _reproduce(info: dict, command: str | None) -> str:
    how = f"```\n{command}\n```" if command else ("Started from the Python API; its configuration is in the run's "
                                                   "`run.json`.")
    return f"## Reproduce\n\nThe run's command (job `{info['job']}`, seed {info['seed']}):\n\n{how}"


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "n/a" if value is None else str(value)


def _bytes(value) -> str:
    return "n/a" if not value else f"{value / 2**20:.1f} MiB"
