"""The one abstract base every task kind implements.

A kind turns a card's rows into model inputs for each model architecture, builds the head, and turns model outputs back
into predictions and metrics. The training loop, measurement and storage are shared and live elsewhere.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from harness.errors import Unsupported  # noqa: F401 - re-exported: plugins import it from here
from harness.tasks.card import CardError, TaskCard

if TYPE_CHECKING:  # pragma: no cover
    from harness.metrics.spec import MetricSpec
    from harness.models.resolve import ModelSpec
    from harness.prompting import Prompting
    from harness.settings import Hyperparameters


@dataclass
class EvalContext:
    """What a kind needs to evaluate a trained model on one split."""
    model: Any
    tokenizer: Any
    spec: "ModelSpec"
    card: TaskCard
    features: Any                 # tokenized datasets.Dataset
    rows: Any                     # standard-schema datasets.Dataset (same split, same order as the examples)
    device: Any
    batch_size: int
    autocast: Callable[[], Any]   # context manager factory for mixed-precision inference
    options: dict = field(default_factory=dict)
    split: str = ""               # train / validation / test: which split these features come from
    train_rows: Any = None        # the training split's standard-schema rows, for what a kind learns from them
    # Testing only: the validation split's context, for what a kind tunes on validation with the final model before
    # it tests (the no-answer threshold of extractive QA with unanswerable questions).
    validation: "EvalContext | None" = None


@dataclass
class Evaluation:
    metrics: dict[str, float]
    predictions: list            # one entry per example, JSON-serialisable, kept for per-example analysis
    references: list | None = None
    samples_per_s: float | None = None
    # What the metric specs need besides predictions and references (e.g. the number of labels); stored with them.
    context: dict = field(default_factory=dict)
    # Sections the kind adds to the result record (seq2seq: "generation", the settings generate() ran with).
    record_sections: dict = field(default_factory=dict)


INPUT_COLUMNS = ("input_ids", "attention_mask", "token_type_ids")


def batched_forward(ctx: EvalContext, columns=INPUT_COLUMNS):
    """Run ctx.model over ctx.features in length-sorted batches (eval mode, no grad, autocast).

    Yields (example indices, model output, real lengths of those examples); the caller scatters the outputs back
    into example order.
    """
    import torch

    from harness.data.batching import collate_features, sorted_batches

    columns = [c for c in columns if c in ctx.features.column_names]
    inputs = ctx.features.select_columns(columns).to_dict()      # plain lists: row access on Arrow is slow
    lengths = [len(ids) for ids in inputs["input_ids"]]
    ctx.model.eval()
    with torch.inference_mode(), ctx.autocast():
        for indices in sorted_batches(lengths, ctx.batch_size):
            batch = collate_features([{c: inputs[c][i] for c in columns} for i in indices], ctx.tokenizer.pad_token_id)
            batch = {k: v.to(ctx.device, non_blocking=True) for k, v in batch.items()}
            yield indices, ctx.model(**batch), [lengths[i] for i in indices]


class TaskKind(ABC):
    """Base class. Subclasses set `name`, `fields` and `metric_specs` and implement the abstract methods."""

    name: ClassVar[str]
    fields: ClassVar[dict[str, bool]]        # standard field -> required
    # Every metric the kind computes, with its direction, scale and resampling recipe (harness.metrics.spec).
    metric_specs: ClassVar[dict[str, "MetricSpec"]]
    needs_labels: ClassVar[bool] = False
    # Kinds that generate text get the run's generation options (--max-new-tokens, --num-beams) in their jobs.
    uses_generation: ClassVar[bool] = False

    def generation_settings(self, card: TaskCard, options: dict) -> dict:
        """The settings this kind's jobs pass to generate() (part of the job id); {} for kinds that generate nothing."""
        return {}

    # --- card and data ---------------------------------------------------------------------------------------
    def check_card(self, card: TaskCard) -> None:
        """Kind-specific card validation (torch-free). Raise CardError naming the field."""
        allowed = self.allowed_metrics(card)
        for metric in card.metrics:
            if metric not in allowed:
                raise CardError(card.path, "metrics", f"{metric!r} is not a metric of kind {self.name!r} "
                                f"({', '.join(allowed)})")
        for key in card.columns:
            if key not in self.fields:
                raise CardError(card.path, f"columns.{key}", f"kind {self.name!r} has no field {key!r} "
                                f"(fields: {', '.join(self.fields)})")
        if self.needs_labels and not card.labels:
            raise CardError(card.path, "labels", f"kind {self.name!r} needs the list of labels")
        # The direction belongs to the metric; a card may state it (as documentation) but never contradict it.
        direction = self.metric_spec(card.primary_metric).higher_is_better
        if card.higher_is_better is not None and card.higher_is_better != direction:
            raise CardError(card.path, "metrics.higher_is_better",
                            f"{card.primary_metric!r} is {'higher' if direction else 'lower'}-is-better as kind "
                            f"{self.name!r} defines it; remove the field")

    def allowed_metrics(self, card: TaskCard) -> tuple[str, ...]:
        """Metric names a card of this kind may ask for (some kinds add card-dependent ones)."""
        return tuple(self.metric_specs)

    def metric_spec(self, metric: str) -> "MetricSpec":
        """The spec of one metric this kind computes (KeyError for a metric it does not know)."""
        return self.metric_specs[metric]

    def standardize(self, card: TaskCard, batch: dict[str, list], where: str) -> dict[str, list]:
        """Convert a batch already renamed to standard fields (e.g. label names -> ids). `where` names the file."""
        return batch

    # --- model -----------------------------------------------------------------------------------------------
    peft_task: ClassVar[str | None] = None

    def peft_task_type(self, spec: "ModelSpec") -> str | None:
        """peft's TaskType name for LoRA on this kind and architecture (None: a plain PeftModel)."""
        return self.peft_task

    def tokenizer_options(self, spec: "ModelSpec") -> dict:
        """Extra keyword arguments for AutoTokenizer.from_pretrained (e.g. add_prefix_space for pre-split words)."""
        return {}

    def encoder_version(self, role: str) -> str:
        """Part of the tokenization cache key: bump when the encoder's output changes; may differ by split."""
        return "1"

    def prepare_tokenizer(self, tokenizer, spec: "ModelSpec"):
        """Make the tokenizer usable for batching (decoder models often ship without a pad token)."""
        if tokenizer.pad_token is None:
            if tokenizer.eos_token is None:
                raise Unsupported("the tokenizer has neither a pad nor an eos token to pad batches with")
            tokenizer.pad_token = tokenizer.eos_token
        return tokenizer

    @abstractmethod
    def build_model(self, card: TaskCard, spec: "ModelSpec", tokenizer):
        """The model with this kind's head for the spec's architecture; raise Unsupported with the reason."""

    @abstractmethod
    def encoder(self, card: TaskCard, spec: "ModelSpec", tokenizer, hp: "Hyperparameters",
                role: str) -> Callable[[dict], dict]:
        """A function for `Dataset.map(batched=True)` turning standard rows of split `role` into model features.

        Train features carry labels for the loss; evaluation features may carry what decoding needs instead
        (e.g. offsets for span answers). One example may give several features (long QA contexts).
        """

    # Sequence columns padded to their own longest length instead of the inputs' (e.g. seq2seq decoder labels).
    separately_padded: ClassVar[tuple[str, ...]] = ()

    def padded_separately(self, spec: "ModelSpec") -> tuple[str, ...]:
        """`separately_padded` for this model's architecture (a causal LM's labels align with its inputs instead)."""
        return self.separately_padded

    def train_columns(self) -> tuple[str, ...]:
        """Feature columns fed to the model during training."""
        return ("input_ids", "attention_mask", "token_type_ids", "labels")

    @abstractmethod
    def evaluate(self, ctx: EvalContext) -> Evaluation:
        """Predict on ctx.features and score against ctx.rows."""

    # --- without training: zero- and few-shot (tuning `none` and `icl:K`; prompts from harness.prompting) ---------
    def prompted_model(self, card: TaskCard, spec: "ModelSpec", tokenizer):
        """The pretrained model, with no new parameters, that `evaluate_prompted` runs; raise Unsupported with the
        reason where this kind cannot be evaluated without training on the spec's architecture (a random head is
        not a baseline)."""
        raise Unsupported(f"kind {self.name!r} has no zero- or few-shot evaluation")

    def evaluate_prompted(self, ctx: EvalContext, prompting: "Prompting") -> Evaluation:
        """Predict on ctx.rows with ctx.model (from `prompted_model`) from prompts alone, and score like `evaluate`.
        ctx.features is None (nothing is tokenized for a head); demonstrations come from ctx.train_rows
        (harness.prompting.demonstrations). A record section `prompting` may describe what was done."""
        raise Unsupported(f"kind {self.name!r} has no zero- or few-shot evaluation")

    def prompted_request(self, ctx: EvalContext, prompting: "Prompting", index: int) -> Callable[[], Any]:
        """A zero-argument call answering one request (batch size 1) the prompted way, for latency: the prediction
        of row `index % len(ctx.rows)`. Every kind that implements `evaluate_prompted` implements this."""
        raise NotImplementedError(f"kind {self.name!r} has no prompted request")

    def latency_inputs(self, ctx: EvalContext, index: int) -> Callable[[], Any]:
        """A zero-argument call answering one request (batch size 1) for latency measurement: a forward pass."""
        import torch

        from harness.data.batching import collate_features
        row = ctx.features[index % len(ctx.features)]
        batch = collate_features([row], ctx.tokenizer.pad_token_id, keep=self.train_columns(), drop=("labels",))
        batch = {k: v.to(ctx.device) for k, v in batch.items()}

        def request():
            with torch.inference_mode(), ctx.autocast():
                return ctx.model(**batch)
        return request
