"""Jobs: one model x one task x one seed with everything that determines its result, and a stable id.

The id hashes what changes a result (model and revision, task card, data, seed, hyperparameters, precision, device
request, generation settings, harness version), so re-running the same command skips finished jobs and editing any
of these re-runs.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from harness import __version__


@dataclass(frozen=True)
class Job:
    model: str                      # as the user gave it
    model_spec: dict[str, Any]      # harness.models.resolve.ModelSpec as a dict
    task: str
    task_family: str
    kind: str
    card_path: str
    card_hash: str
    seed: int
    hyperparameters: dict[str, Any]
    precision: str                  # as requested (auto / bf16 / fp16 / fp32)
    device: str                     # as requested (auto / cpu / cuda)
    data: dict[str, Any]            # prepared data: path, fingerprint, sizes, source description
    options: dict[str, Any] = field(default_factory=dict)   # measurement and generation settings
    tuning: str = "full"                                     # full | head | lora (harness.tuning)
    lora: dict[str, Any] | None = None                       # LoRA settings when tuning == "lora"
    grid: dict[str, Any] = field(default_factory=dict)       # the grid point: hyperparameters varied by --*-grid
    generation: dict[str, Any] = field(default_factory=dict)  # generate() settings (card < run options); {} if none
    harness_version: str = __version__

    @property
    def id(self) -> str:
        identity = {
            "model": self.model_spec["source"] if not self.model_spec.get("local") else self.model,
            "revision": self.model_spec.get("revision"), "task": self.task, "card": self.card_hash,
            "seed": self.seed, "hp": self.hyperparameters, "precision": self.precision, "device": self.device,
            "data": self.data["fingerprint"], "options": self.options, "version": self.harness_version,
        }
        if self.tuning != "full":        # full-tuning ids stay what they were before tuning strategies existed
            identity["tuning"] = {"strategy": self.tuning, "lora": self.lora}
        if self.generation:              # likewise the ids of jobs that generate nothing
            identity["generation"] = self.generation
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        variant = "" if self.tuning == "full" else f" ({self.tuning})"
        point = "".join(f" {k}={v:g}" if isinstance(v, float) else f" {k}={v}" for k, v in self.grid.items())
        return f"{self.model}{variant} × {self.task} × seed {self.seed}{point}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Job":
        return cls(**data)
