"""Extractive question answering (SQuAD v1.1 style, and v2.0 with unanswerable questions): the answer is a span of
the context.

Heads: AutoModelForQuestionAnswering for every architecture that has one (BERT-style encoders, GPT2ForQuestionAnswering,
T5ForQuestionAnswering / BartForQuestionAnswering); others are `unsupported`.
Inputs are `question [sep] context` (question first, so a causal model reads the question before the context); long
contexts are cut into windows of max_length tokens overlapping by `doc_stride`. A training window that does not
contain the answer points both span ends at the [CLS] token, or at position 0 where the tokenizer has no [CLS]
(GPT-2, T5): decoding only ever picks context tokens, so that position works as "no answer here" for every architecture.
Decoding: over all windows of an example, the n-best start and end logits give candidate spans inside the context
of at most `max_answer_length` tokens; the best start + end score wins, mapped back to context characters through
the offset mapping.
With `options.no_answer` (SQuAD v2.0) a question may have no answer. Training already points such questions at the
no-answer position; decoding gives each question a no-answer score, the null span's score (start + end logit at that
position, the lowest over the question's windows) minus the best span's, and leaves the question unanswered (None)
above a threshold. The threshold is the one that maximises the primary metric on validation (the official v2 search,
harness.metrics.squad_v2): each epoch's validation figures are at its own best threshold, and testing first decodes
validation with the final model, then applies that threshold to the test split. EM/F1 follow evaluate-v2.0.py,
with its HasAns_/NoAns_ breakdown; the threshold is in the validation metrics and the stored predictions' context.
"""
from __future__ import annotations

from typing import Callable

from harness.errors import UserError
from harness.kinds.base import EvalContext, Evaluation, TaskKind, batched_forward
from harness.kinds.classification import check_prompt_fields
from harness.models.loading import load_pretrained
from harness.metrics.qa import QA_METRICS, qa_spec
from harness.metrics.squad_v2 import V2_METRICS
from harness.tasks.card import CardError, TaskCard

DEFAULT_OPTIONS = {"doc_stride": 128, "max_answer_length": 30, "n_best": 20, "max_question_length": 64}
# Decoder-only tokenizers have no pair template: the question ends with a newline before the context starts.
DECODER_QUESTION_END = "\n"


class ExtractiveQAKind(TaskKind):
    name = "extractive_qa"
    peft_task = "QUESTION_ANS"
    fields = {"question": True, "context": True, "answers": True, "id": False, "title": False}
    # A carved split takes whole paragraphs (harness.data.splits): questions on one context never straddle splits.
    carve_group = "context"
    metric_specs = {m: qa_spec(m) for m in QA_METRICS}

    def check_card(self, card: TaskCard) -> None:
        if not isinstance(card.options.get("no_answer", False), bool):
            raise CardError(card.path, "options.no_answer",
                            f"expected true or false, got {card.options['no_answer']!r}")
        super().check_card(card)
        for key, value in card.options.items():
            if key in DEFAULT_OPTIONS and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise CardError(card.path, f"options.{key}", f"expected a positive integer, got {value!r}")

        check_prompt_fields(card, ("question", "context", "title"))

    def allowed_metrics(self, card: TaskCard) -> tuple[str, ...]:
        # The answerable / unanswerable breakdown exists only where questions may be unanswerable.
        return QA_METRICS if card.options.get("no_answer") else tuple(m for m in QA_METRICS if m not in V2_METRICS)

    def options(self, card: TaskCard) -> dict:
        return {**DEFAULT_OPTIONS, **{k: v for k, v in card.options.items() if k in DEFAULT_OPTIONS},
                "no_answer": bool(card.options.get("no_answer", False))}

    # --- data ------------------------------------------------------------------------------------------------
    def standardize(self, card: TaskCard, batch: dict, where: str) -> dict:
        answers = []
        for number, (context, value) in enumerate(zip(batch["context"], batch["answers"]), start=1):
            if not isinstance(context, str) or not isinstance(batch["question"][number - 1], str):
                raise UserError(f"{where}: example {number}: question and context must be strings")
            answers.append(_answers(value, context, where, number))
        batch["answers"] = answers
        count = len(answers)
        batch["id"] = [str(i) for i in batch["id"]] if "id" in batch else [str(i) for i in range(count)]
        if "title" in batch:
            batch["title"] = [str(t or "") for t in batch["title"]]
        # Evaluation groups windows by example through this index (ids are not guaranteed unique in user data).
        batch["example_index"] = list(range(count))
        return batch

    # --- model -----------------------------------------------------------------------------------------------
    def build_model(self, card: TaskCard, spec, tokenizer):
        from transformers import AutoModelForQuestionAnswering

        from harness.kinds.base import Unsupported
        if not getattr(tokenizer, "is_fast", False):
            raise Unsupported("span decoding needs offset mappings from a fast (tokenizers-backed) tokenizer, "
                              "and this model has none")
        return load_pretrained(AutoModelForQuestionAnswering, spec, pad_token_id=tokenizer.pad_token_id)

    def train_columns(self) -> tuple[str, ...]:
        return ("input_ids", "attention_mask", "token_type_ids", "start_positions", "end_positions")

    def encoder_version(self, role: str) -> str:
        return "qa-train-1" if role == "train" else "qa-eval-1"

    def encoder(self, card: TaskCard, spec, tokenizer, hp, role: str) -> Callable[[dict], dict]:
        opts = self.options(card)
        max_length = hp.max_length
        question_limit = max(1, min(opts["max_question_length"], max_length // 2))
        # The windows must overlap by less than the room left for the context, or the tokenizer refuses.
        stride = max(0, min(opts["doc_stride"], (max_length - question_limit - 4) // 2))
        question_end = DECODER_QUESTION_END if spec.architecture == "decoder" else ""
        cls_id = tokenizer.cls_token_id
        training = role == "train"

        def encode(batch: dict) -> dict:
            questions = _shorten(tokenizer, [q.strip() for q in batch["question"]], question_limit)
            questions = [q + question_end for q in questions]
            features = tokenizer(questions, batch["context"], truncation="only_second", max_length=max_length,
                                 stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True)
            samples = features.pop("overflow_to_sample_mapping")
            offsets = features.pop("offset_mapping")
            if training:
                starts, ends = [], []
                for i, sample in enumerate(samples):
                    no_answer = features["input_ids"][i].index(cls_id) \
                        if cls_id is not None and cls_id in features["input_ids"][i] else 0
                    start, end = _span_positions(features.sequence_ids(i), offsets[i], batch["answers"][sample])
                    starts.append(no_answer if start is None else start)
                    ends.append(no_answer if end is None else end)
                features["start_positions"], features["end_positions"] = starts, ends
            else:
                offset_start, offset_end = [], []
                for i in range(len(samples)):
                    sequence_ids = features.sequence_ids(i)
                    offset_start.append([o[0] if s == 1 else -1 for o, s in zip(offsets[i], sequence_ids)])
                    offset_end.append([o[1] if s == 1 else -1 for o, s in zip(offsets[i], sequence_ids)])
                features["offset_start"], features["offset_end"] = offset_start, offset_end
                features["example_index"] = [batch["example_index"][s] for s in samples]
            return dict(features)
        return encode

    # --- evaluation ------------------------------------------------------------------------------------------
    def evaluate(self, ctx: EvalContext) -> Evaluation:
        from harness.metrics.qa import squad_metrics

        opts = self.options(ctx.card)
        answers, no_answer_scores = decode_answers(ctx, opts)
        references = [list(a["text"]) for a in ctx.rows["answers"]]
        if opts["no_answer"]:
            return _evaluate_unanswerable(ctx, opts, answers, no_answer_scores, references)
        predictions = [answer or "" for answer in answers]
        return Evaluation(squad_metrics(predictions, references), predictions, references)


    # --- without training (tuning none / icl:K): the answer generated from a prompt, scored as spans are -------
    def prompted_model(self, card: TaskCard, spec, tokenizer):
        from harness.kinds.prompted_generation import generator_model

        return generator_model(spec, tokenizer)

    def evaluate_prompted(self, ctx: EvalContext, prompting) -> Evaluation:
        from harness.kinds.prompted_qa import generated_answers

        answers, section = generated_answers(ctx, prompting, self.options(ctx.card))
        return self.score_generated(ctx, answers, section)

    def score_generated(self, ctx: EvalContext, answers: list[str | None], section: dict) -> Evaluation:
        """Generated answers (None: the model said there is none) scored with SQuAD's EM/F1 (v2.0's where
        questions may be unanswerable: an abstention is right exactly on the unanswerable ones)."""
        from harness.metrics.qa import squad_metrics
        from harness.metrics.squad_v2 import squad_v2_metrics

        references = [list(a["text"]) for a in ctx.rows["answers"]]
        sections = {"prompting": section}
        if self.options(ctx.card)["no_answer"]:
            return Evaluation(squad_v2_metrics(answers, references), answers, references,
                              context={"no_answer": True}, record_sections=sections)
        predictions = [answer or "" for answer in answers]
        return Evaluation(squad_metrics(predictions, references), predictions, references, record_sections=sections)

    def prompted_request(self, ctx: EvalContext, prompting, index: int):
        from harness.kinds.prompted_qa import answer_request

        return answer_request(ctx, prompting, self.options(ctx.card), index)


def decode_answers(ctx: EvalContext, opts: dict) -> tuple[list[str | None], list[float]]:
    """Per example of ctx.rows: the best span's text (None when no window holds a valid span) and its no-answer
    score, the null span's score minus the best span's (inf without a valid span)."""
    import numpy as np

    features = ctx.features
    start_logits: list = [None] * len(features)
    end_logits: list = [None] * len(features)
    for indices, output, lengths in batched_forward(ctx):
        starts, ends = output.start_logits.float().cpu().numpy(), output.end_logits.float().cpu().numpy()
        for row, (index, length) in enumerate(zip(indices, lengths)):
            start_logits[index] = starts[row, :length]
            end_logits[index] = ends[row, :length]
    windows: dict[int, list[int]] = {}
    for feature, example in enumerate(features["example_index"]):
        windows.setdefault(example, []).append(feature)
    columns = features.select_columns(["offset_start", "offset_end", "input_ids"]).to_dict()
    null_positions = [_no_answer_position(ids, ctx.tokenizer.cls_token_id) for ids in columns["input_ids"]]
    answers, no_answer_scores = [], []
    for example, context in zip(ctx.rows["example_index"], ctx.rows["context"]):
        own = windows.get(example, [])
        score, best = scored_best_span([(start_logits[f], end_logits[f], columns["offset_start"][f],
                                         columns["offset_end"][f]) for f in own],
                                       opts["n_best"], opts["max_answer_length"], np)
        null = min((float(start_logits[f][null_positions[f]] + end_logits[f][null_positions[f]]) for f in own),
                   default=float("inf"))
        answers.append(context[best[0]:best[1]].strip() if best else None)
        no_answer_scores.append(null - score if best else float("inf"))
    return answers, no_answer_scores


def _evaluate_unanswerable(ctx: EvalContext, opts: dict, answers: list, no_answer_scores: list[float],
                           references: list[list[str]]) -> Evaluation:
    """SQuAD v2.0 figures at the no-answer threshold chosen on validation (on this split itself when it is the
    validation split, or when no validation split is given)."""
    from harness.metrics.squad_v2 import apply_threshold, best_threshold, squad_v2_metrics

    metric = "exact" if ctx.card.primary_metric == "exact_match" else "f1"
    if ctx.validation is not None:
        tuning_answers, tuning_scores = decode_answers(ctx.validation, opts)
        tuning_references = [list(a["text"]) for a in ctx.validation.rows["answers"]]
        threshold = best_threshold(tuning_answers, tuning_references, tuning_scores, metric)[1]
    else:
        threshold = best_threshold(answers, references, no_answer_scores, metric)[1]
    predictions = apply_threshold(answers, no_answer_scores, threshold)
    metrics = squad_v2_metrics(predictions, references)
    if ctx.validation is None:
        metrics["no_answer_threshold"] = threshold
    return Evaluation(metrics, predictions, references,
                      context={"no_answer": True, "no_answer_threshold": threshold})


def _no_answer_position(input_ids: list[int], cls_id: int | None) -> int:
    """Where training points a window without the answer: the [CLS] token, or position 0 without one."""
    return input_ids.index(cls_id) if cls_id is not None and cls_id in input_ids else 0


def best_span(windows, n_best: int, max_answer_length: int, np=None) -> tuple[int, int] | None:
    """The (start_char, end_char) of the best-scoring valid span over an example's windows, or None.

    Each window is (start_logits, end_logits, offset_start, offset_end); offsets are -1 outside the context.
    A span is valid when both ends are context tokens, end >= start and it holds at most max_answer_length tokens;
    its score is start logit + end logit, looked for among the n_best starts and n_best ends of each window.
    """
    return scored_best_span(windows, n_best, max_answer_length, np)[1]


def scored_best_span(windows, n_best: int, max_answer_length: int, np=None) -> tuple[float | None,
                                                                                      tuple[int, int] | None]:
    """best_span with its score: (score, (start_char, end_char)), or (None, None) without a valid span."""
    if np is None:
        import numpy as np
    best_score, best = None, None
    for start_logits, end_logits, offset_start, offset_end in windows:
        start_logits, end_logits = np.asarray(start_logits, dtype=float), np.asarray(end_logits, dtype=float)
        offset_start, offset_end = np.asarray(offset_start), np.asarray(offset_end)
        starts = np.argsort(-start_logits, kind="stable")[:n_best]
        ends = np.argsort(-end_logits, kind="stable")[:n_best]
        starts, ends = starts[offset_start[starts] >= 0], ends[offset_end[ends] >= 0]
        if not len(starts) or not len(ends):
            continue
        scores = start_logits[starts][:, None] + end_logits[ends][None, :]
        length = ends[None, :] - starts[:, None]
        valid = (length >= 0) & (length < max_answer_length)
        if not valid.any():
            continue
        scores = np.where(valid, scores, -np.inf)
        row, column = np.unravel_index(int(np.argmax(scores)), scores.shape)
        score = float(scores[row, column])
        if best_score is None or score > best_score:
            best_score = score
            best = (int(offset_start[starts[row]]), int(offset_end[ends[column]]))
    return best_score, best


def _span_positions(sequence_ids: list, offsets: list, answers: dict) -> tuple[int | None, int | None]:
    """Token positions of the first gold answer inside this window's context, or (None, None) if it is not inside."""
    if not answers["text"]:
        return None, None
    start_char = answers["answer_start"][0]
    end_char = start_char + len(answers["text"][0])
    context = [i for i, s in enumerate(sequence_ids) if s == 1]
    if not context:
        return None, None
    first, last = context[0], context[-1]
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return None, None
    start = first
    while start <= last and offsets[start][0] <= start_char:
        start += 1
    end = last
    while end >= first and offsets[end][1] >= end_char:
        end -= 1
    return start - 1, end + 1


def _shorten(tokenizer, questions: list[str], limit: int) -> list[str]:
    """Cut questions longer than `limit` tokens (so every window keeps room for the context)."""
    encoded = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    out = []
    for question, ids, offsets in zip(questions, encoded["input_ids"], encoded["offset_mapping"]):
        out.append(question[:offsets[limit - 1][1]] if len(ids) > limit else question)
    return out


def _answers(value, context: str, where: str, number: int) -> dict:
    """Gold answers as {text: [...], answer_start: [...]}; accepts that dict or a list of {text, answer_start}.

    A start that does not point at its text is moved to the nearest occurrence of the text in the context.
    """
    if isinstance(value, list):
        if not all(isinstance(a, dict) and "text" in a for a in value):
            raise UserError(f"{where}: example {number}: answers must be {{text, answer_start}} objects")
        texts = [a["text"] for a in value]
        starts = [a.get("answer_start", -1) for a in value]
    elif isinstance(value, dict) and "text" in value:
        texts = list(value["text"]) if isinstance(value["text"], (list, tuple)) else [value["text"]]
        raw = value.get("answer_start", [-1] * len(texts))
        starts = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    else:
        raise UserError(f"{where}: example {number}: answers must be {{'text': [...], 'answer_start': [...]}}",
                        hint="SQuAD layout: the answer texts and their character offsets in the context")
    if len(texts) != len(starts):
        raise UserError(f"{where}: example {number}: {len(texts)} answer texts but {len(starts)} answer_start values")
    fixed = []
    for text, start in zip(texts, starts):
        if not isinstance(text, str):
            raise UserError(f"{where}: example {number}: answer text {text!r} is not a string")
        try:
            start = int(start)
        except (TypeError, ValueError):
            raise UserError(f"{where}: example {number}: answer_start {start!r} is not an integer") from None
        if context[start:start + len(text)] != text:
            found = [i for i in _occurrences(context, text)]
            if found:
                start = min(found, key=lambda i: abs(i - start))
        fixed.append(start)
    return {"text": [str(t) for t in texts], "answer_start": fixed}


def _occurrences(context: str, text: str):
    if not text:
        return
    i = context.find(text)
    while i >= 0:
        yield i
        i = context.find(text, i + 1)
