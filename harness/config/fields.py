"""`RunConfig`: every option of a run, defined once.

Each field is one option of `harness run` (the click options are generated from these fields), one key of a
`--config` YAML file or of a leaderboard's `settings`, and one keyword of `harness.run`. Its metadata says how a
value is read (`parse`), what it must satisfy (`check`), and where the run uses it (`role`):

    hp      a training hyperparameter override (harness.settings.Hyperparameters has a field of the same name)
    option  a job option: part of the job id, read by the job (latency, generation, compilation)
    grid    values tried per model and task; the report keeps the best on validation
    lora    a LoRA adapter setting (harness.tuning.LoraSettings, without the `lora_` prefix)
    sweep   how the sweep uses the machine (harness.executors.SweepOptions); never changes a result
    run     what to run and where results go
    log     where each job also logs as it runs (experiment trackers, harness.trackers): never part of a job id
    keep    what a run keeps besides its records (saved models, hub uploads; harness.models.saving): never
            changes a result, so never part of a job id
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from harness.executors import EXECUTORS
from harness.prompting import CHAT_TEMPLATE_MODES
from harness.schedule.cpu_workers import DEFAULT_WORKERS
from harness.schedule.placement import PARALLEL_MODES
from harness.trackers import TRACKERS
from harness.train.device import DEVICES, PRECISIONS
from harness.tuning import STRATEGIES

COMPILE_MODES = ("auto", "on", "off")
# The kinds a card inferred from own data can have (harness.tasks.infer).
OWN_DATA_KINDS = ("classification", "regression", "multi_label", "token_classification", "extractive_qa", "seq2seq")
SAVE_MODES = ("none", "best", "all")


def option(default: Any = None, help: str = "", *, parse: str = "str", role: str = "run", check: str | None = None,
           choices: tuple[str, ...] | None = None, flags: tuple[str, ...] = (), cli_name: str | None = None,
           metavar: str | None = None, repeat: bool = False, shown_default: str | None = None):
    """A RunConfig field. parse: str, int, float, bool, path, choice, jobs_per_gpu, workers, list (a
    repeatable option: one item per use), or a comma list of `names`,
    `ints` or `floats` (a YAML list works too); check: positive, at_least_zero, fraction or seed (every number
    must also be finite and below a limit: harness.config.values.number_problem); flags: extra
    spellings (-m); cli_name: the long option's name when not the field's; repeat: the option may be repeated."""
    metadata = {"help": help, "parse": parse, "role": role, "check": check, "choices": choices, "flags": flags,
                "cli_name": cli_name, "metavar": metavar, "repeat": repeat, "shown_default": shown_default}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class RunConfig:
    # What to run
    models: list[str] = option([], "Comma list of model aliases, hub ids (org/name) or local directories.",
                               parse="names", flags=("-m",))
    tasks: list[str] = option([], "Comma list of task names, family names (classification, ner, qa, translation, "
                              "summarization, similarity) or 'all'; or your own data without a card: a file, a "
                              "folder of train/validation/test files, or train:PATH,test:PATH (see --columns).",
                              parse="names", flags=("-t",))
    seeds: list[int] = option([0], "Comma list of seeds, e.g. 0,1,2 (each in [0, 2**32)).", parse="ints",
                              check="seed")
    leaderboard: str | None = option(None, "Run a leaderboard definition (see `harness list leaderboards`, or a "
                                     "path to its YAML): it fixes models, tasks, seeds, data and settings.",
                                     metavar="NAME|PATH")
    output: str | None = option(None, "Run directory.", parse="path", flags=("-o",),
                                shown_default="runs/<timestamp>")
    # Data
    data: list[str] = option([], "'sample' for the bundled samples, or TASK=PATH (a file, a folder, or "
                             "train:PATH,test:PATH); repeatable.", parse="list", repeat=True)
    data_dir: str | None = option(None, "Folder holding the tasks' original files (e.g. sst2/train.tsv).",
                                  parse="path")
    tasks_dir: list[str] = option([], "Extra folder of task cards; repeatable.", parse="list", repeat=True)
    columns: list[str] = option([], "Own data in --tasks (a file, a folder or train:PATH,test:PATH): which column "
                                "is which field, e.g. text=review,label=stars (fields: text, pair, label, tokens, "
                                "tags, question, context, answers, source, target).", parse="names",
                                metavar="FIELD=COLUMN,...", shown_default="guessed from the column names")
    task_kind: str | None = option(None, "Own data in --tasks: the task kind, instead of inferring it from the "
                                   "columns and values.", parse="choice", choices=OWN_DATA_KINDS,
                                   shown_default="inferred")
    # Training (each unset value comes from the task card)
    epochs: float | None = option(None, "Training epochs (may be fractional).", parse="float", role="hp",
                                  check="positive", shown_default="from the task card")
    batch_size: int | None = option(None, "Training batch size.", parse="int", role="hp", check="positive",
                                    shown_default="from the task card")
    lr: float | None = option(None, "Peak learning rate.", parse="float", role="hp", check="positive",
                              shown_default="from the task card")
    max_length: int | None = option(None, "Maximum input tokens.", parse="int", role="hp", check="positive",
                                    shown_default="from the task card")
    max_train_samples: int | None = option(None, "Use only the first N training examples.", parse="int", role="hp",
                                           check="positive")
    max_eval_samples: int | None = option(None, "Use only the first N validation and test examples.", parse="int",
                                          role="hp", check="positive")
    weight_decay: float | None = option(None, "AdamW weight decay (biases and norms never decay).", parse="float",
                                        role="hp", check="at_least_zero", shown_default="from the task card, else 0.01")
    budget_steps: int | None = option(None, "Every job trains exactly this many optimizer steps (equal-cost "
                                      "comparison).", parse="int", role="hp", check="positive")
    budget_seconds: float | None = option(None, "Every job trains for at most this many seconds of wall-clock.",
                                          parse="float", role="hp", check="positive")
    early_stopping_patience: int | None = option(None, "Stop a job after this many validation epochs without "
                                                 "improvement (the best epoch's weights are kept).", parse="int",
                                                 role="hp", check="positive", cli_name="patience",
                                                 shown_default="from the task card, else off")
    # Fair comparison: tuning strategies, grids, LoRA
    tuning: list[str] = option(["full"], "Tuning strategies, each its own leaderboard entry: full (all parameters), "
                               "head (frozen body, train the new head), lora (peft adapters + head), none (the "
                               "pretrained model from a prompt, nothing trained), icl:K (none with K training "
                               "examples in the prompt, K in [1, 1000]).",
                               parse="names", choices=STRATEGIES, metavar="full,head,lora,none,icl:K")
    lr_grid: list[float] | None = option(None, "Learning rates to try; the report keeps, per model and task, the one "
                                         "with the best mean validation score (test never decides).",
                                         parse="floats", role="grid", metavar="LR,LR,...")
    batch_size_grid: list[int] | None = option(None, "Batch sizes to try (selected like --lr-grid).", parse="ints",
                                               role="grid", check="positive", metavar="N,N,...")
    epochs_grid: list[float] | None = option(None, "Epoch counts to try (selected like --lr-grid).", parse="floats",
                                             role="grid", metavar="E,E,...")
    lora_r: int | None = option(None, "LoRA rank.", parse="int", role="lora", check="positive", shown_default="8")
    lora_alpha: int | None = option(None, "LoRA alpha (scaling = alpha / r).", parse="int", role="lora",
                                    check="positive", shown_default="16")
    lora_dropout: float | None = option(None, "LoRA dropout.", parse="float", role="lora", check="fraction",
                                        shown_default="0.05")
    lora_targets: list[str] | None = option(None, "Comma list of module names to adapt.", parse="names", role="lora",
                                            shown_default="peft's choice for the architecture, e.g. query,value "
                                            "for BERT")
    # Generation (translation, summarization)
    max_new_tokens: int | None = option(None, "Most tokens generated per output (translation, summarization).",
                                        parse="int", role="option", check="positive",
                                        shown_default="from the task card")
    num_beams: int | None = option(None, "Beam-search width for generation (1 = greedy).", parse="int",
                                   role="option", check="positive", shown_default="from the task card")
    # Measurement and numerics
    latency_requests: int = option(50, "Batch-1 requests timed for the latency figures (0 to skip).", parse="int",
                                   role="option", check="at_least_zero")
    compile: str = option("auto", "CUDA graphs via torch.compile over a few sequence-length buckets. auto: on a "
                          "single GPU for jobs long enough to pay back compilation; never on CPU.", parse="choice",
                          role="option", choices=COMPILE_MODES)
    chat_template: str = option("auto", "Zero- and few-shot jobs (--tuning none, icl:K): apply the tokenizer's chat "
                                "template to the prompt. auto: when the tokenizer has one (instruction-tuned models).",
                                parse="choice", role="option", choices=CHAT_TEMPLATE_MODES)
    precision: str = option("auto", "auto: bf16 on GPUs that support it, fp32 on CPU.", parse="choice",
                            choices=PRECISIONS)
    device: str = option("auto", "Device the jobs run on.", parse="choice", choices=DEVICES)
    trust_remote_code: bool = option(False, "Allow models whose repository ships custom Python code.", parse="bool")
    # Scheduling: how the sweep uses the machine
    executor: str = option("local", "local: worker processes (a crash fails one job, not the sweep); inline: this "
                           "process; ray: Ray tasks on a local or existing cluster (pip install 'harness[ray]').",
                           parse="choice", role="sweep", choices=EXECUTORS)
    workers: int | str = option(DEFAULT_WORKERS, "Jobs run in parallel on the CPU, each in its own worker process "
                                "with cores/N torch threads (on GPUs see --jobs-per-gpu). auto: one worker per "
                                "core, at most one per job, as many as the available RAM fits by the jobs' memory "
                                "estimates.", parse="workers", role="sweep", metavar="auto|N")
    jobs_per_gpu: int | str = option("auto", "Jobs sharing one GPU. auto: as many as their memory estimates fit "
                                     "(at most 8).", parse="jobs_per_gpu", role="sweep", metavar="auto|N")
    parallel: str = option("auto", "data: every job data-parallel over several GPUs (accelerate launch); auto: only "
                           "jobs too large for one GPU; none: never.", parse="choice", role="sweep",
                           choices=PARALLEL_MODES)
    num_processes: int | None = option(None, "Processes (GPUs) of a data-parallel job.", parse="int", role="sweep",
                                       check="positive", shown_default="all GPUs; 2 on CPU")
    accelerate_config: str | None = option(None, "accelerate config file for data-parallel jobs (e.g. FSDP or "
                                           "DeepSpeed), as written by `accelerate config`.", parse="path",
                                           role="sweep")
    ray_address: str | None = option(None, "Address of an existing Ray cluster for --executor ray (e.g. auto, "
                                     "ray://head:10001).", role="sweep", shown_default="start a local one")
    job_timeout: float | None = option(None, "Seconds after which a job is stopped and recorded as failed.",
                                       parse="float", role="sweep", check="positive")
    # Output
    resume: bool = option(True, "Skip jobs that already have a finished result in the output directory.",
                          parse="bool")
    write_report: bool = option(True, "Write the report (report.md, report.html, ...) after the run.",
                                parse="bool", cli_name="report")
    quiet: bool = option(False, "Plain log: one line per finished job, no live progress.", parse="bool",
                         flags=("-q",))
    report_to: list[str] = option([], "Experiment trackers every job logs to, one run per job grouped by the run "
                                  "directory: configuration, per-step loss, per-epoch validation, test metrics and "
                                  "cost (under OUTPUT/trackers and OUTPUT/mlruns for local ones).", parse="names",
                                  role="log", choices=TRACKERS, metavar="tensorboard,mlflow,wandb,...")
    # What the run keeps besides its records
    save: str = option("none", "Save fine-tuned models under OUTPUT/models/: best (per task, the job the report's "
                       "selection rule picks on validation), all (every job), none.", parse="choice", role="keep",
                       choices=SAVE_MODES)
    merge_lora: bool = option(False, "With --save and LoRA tuning, save the weights with the adapter merged into "
                              "them (the adapter alone goes to adapter/).", parse="bool", role="keep")
    push_to_hub: str | None = option(None, "Upload the saved models to the Hugging Face Hub under this organisation "
                                     "or user (needs --save and a reachable hub).", role="keep", metavar="ORG")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def by_role(self, role: str) -> dict[str, Any]:
        """The fields of one role (see the module's docstring) with their values, unset ones included."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata["role"] == role}


FIELDS = {f.name: f for f in fields(RunConfig)}
