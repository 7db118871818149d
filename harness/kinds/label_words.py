"""Label-word scoring: how likely a pretrained language model finds each label's word after a prompt.

A classification example is predicted without training by comparing, for each label, the sum of the
log-probabilities of its verbalizer word's tokens after the prompt (a decoder's continuation of the prompt; an
encoder-decoder's decoder target with the prompt as its input). Sums, not means: each label word is one answer, and
a word split into more tokens is less likely as a whole.

Calibration (Zhao et al., 2021, "Calibrate Before Use"): a model prefers some label words whatever the input (a
small model answers "positive" to nearly every review). Contextual calibration scores the label words after the
same prompt with a content-free input ("N/A" in every field) and divides those probabilities out: each example's
label probabilities (normalised over the label words) are divided by the content-free ones, the largest quotient
wins. No labelled data is used, so nothing is fitted on validation or test.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

CONTENT_FREE = "N/A"
CALIBRATION = "contextual"
# A prompt longer than this is cut from the left (its first demonstrations) for models without a position limit.
_UNBOUNDED_PROMPT_TOKENS = 2048


@dataclass
class LabelWordPrompts:
    """Token ids to score: each example's prompt, the content-free prompts (one per distinct set of
    demonstrations), and each label's answer."""
    contexts: list[list[int]]
    content_free: list[list[int]]
    content_free_of: list[int]          # per example: its content-free prompt (same demonstrations)
    answers: list[list[int]]
    described: dict                     # for the record's prompting section


@dataclass
class LabelWordOutcome:
    predictions: list[int]              # calibrated
    uncalibrated: list[int]
    scores: list[list[float]]           # per example and label: the summed log-probability of the label word
    calibration: dict


def label_word_prompts(ctx, prompting, template: str, words: Sequence[str]) -> LabelWordPrompts:
    """The prompts of ctx.rows (their demonstrations from ctx.train_rows) and of the content-free input."""
    from harness.prompting import PromptBuilder, template_fields

    builder = PromptBuilder.create(prompting, template, ctx.tokenizer, ctx.train_rows,
                                   answer_of=lambda row: words[row["label"]])
    content_free_row = {name: CONTENT_FREE for name in template_fields(template)}
    columns = ctx.rows.to_dict()
    contexts, content_free, content_free_of, seen = [], [], [], {}
    for row in (dict(zip(columns, values)) for values in zip(*columns.values())):
        shots = builder.shots_for(row)
        contexts.append(builder.encode(builder.render(row, shots)))
        if shots not in seen:
            seen[shots] = len(content_free)
            content_free.append(builder.encode(builder.render(content_free_row, shots)))
        content_free_of.append(seen[shots])
    answers = [ctx.tokenizer(builder.answer(word), add_special_tokens=False)["input_ids"] for word in words]
    if not all(answers):
        from harness.errors import Unsupported
        raise Unsupported("a label word encodes to no token with this tokenizer")
    described = {"prompt": template, "label_words": dict(zip(ctx.card.labels, words))}
    return LabelWordPrompts(contexts, content_free, content_free_of, answers, described)


def predict_label_words(ctx, prompts: LabelWordPrompts, content_free=None) -> LabelWordOutcome:
    """Score every label word after every prompt (the content-free ones too, unless their `content_free` scores
    are given: a served classifier computes them once); predict with and without calibration."""
    count = len(prompts.contexts)
    scores = label_word_scores(ctx, prompts.contexts + (prompts.content_free if content_free is None else []),
                               prompts.answers)
    examples = scores[:count]
    content_free = scores[count:] if content_free is None else content_free
    predictions = calibrated(examples, content_free[prompts.content_free_of]).argmax(-1).tolist()
    return LabelWordOutcome(predictions, examples.argmax(-1).tolist(), examples.tolist(),
                            {"method": CALIBRATION, "content_free": CONTENT_FREE})


def label_word_scores(ctx, contexts: list[list[int]], answers: list[list[int]]):
    """A float64 tensor [contexts, answers]: each answer's summed log-probability after each context. When every
    answer is one token, one forward pass per context scores them all."""
    import torch

    if all(len(answer) == 1 for answer in answers):
        rows = first_token_log_probs(ctx, contexts, [answer[0] for answer in answers])
        return torch.tensor(rows, dtype=torch.float64).view(len(contexts), len(answers))
    flat = continuation_log_probs(ctx, [c for c in contexts for _ in answers], [a for _ in contexts for a in answers])
    return torch.tensor(flat, dtype=torch.float64).view(len(contexts), len(answers))


def prompt_token_limit(model, tokenizer) -> int:
    """The most tokens a prompt plus its answer may have: the model's position limit, else the tokenizer's."""
    from harness.models.limits import position_limit

    limit = position_limit(model.config)
    if limit is None:
        stated = getattr(tokenizer, "model_max_length", None) or _UNBOUNDED_PROMPT_TOKENS
        limit = min(int(stated), _UNBOUNDED_PROMPT_TOKENS)
    return limit


def continuation_log_probs(ctx, contexts: Sequence[list[int]], answers: Sequence[list[int]]) -> list[float]:
    """For each (context, answer) pair of token ids: the sum of log P(answer token | context, earlier answer
    tokens) under ctx.model. A context too long is cut from the left, so that it and its answer fit the model's
    positions."""
    return _scored(ctx, list(zip(contexts, answers)), _answer_log_prob)


def first_token_log_probs(ctx, contexts: Sequence[list[int]], tokens: list[int]) -> list[list[float]]:
    """For each context: log P(token | context) of each of `tokens`, from one forward pass."""
    return _scored(ctx, [(context, tokens[:1]) for context in contexts],
                   lambda logits, _: logits[0].float().log_softmax(-1)[tokens].tolist())


def _scored(ctx, pairs: list, score):
    """score(logits at the positions predicting the answer's tokens, answer) for each (context, answer) pair, run
    in batches of ctx.batch_size sorted by length."""
    import torch

    limit = prompt_token_limit(ctx.model, ctx.tokenizer)
    seq2seq = ctx.spec.architecture == "encoder-decoder"
    pairs = [(_fit(list(c), len(a), limit, ctx.tokenizer, seq2seq), list(a)) for c, a in pairs]
    order = sorted(range(len(pairs)), key=lambda i: -len(pairs[i][0]) - len(pairs[i][1]))
    scores: list = [None] * len(pairs)
    ctx.model.eval()
    with torch.inference_mode(), ctx.autocast():
        for start in range(0, len(order), ctx.batch_size):
            indices = order[start:start + ctx.batch_size]
            batch = [pairs[i] for i in indices]
            logits = _seq2seq_logits(ctx, batch) if seq2seq else _decoder_logits(ctx, batch)
            for index, row_logits, (_, answer) in zip(indices, logits, batch):
                scores[index] = score(row_logits, answer)
    return scores


def _fit(context: list[int], answer_length: int, limit: int, tokenizer, seq2seq: bool) -> list[int]:
    room = limit if seq2seq else limit - answer_length
    context = context[-room:] if room > 0 else []
    if not context and not seq2seq:          # a decoder needs one token to predict the answer's first from
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        context = [start]
    return context


def _padded(rows: list[list[int]], pad: int, device):
    import torch

    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=device)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=device)
    return ids, mask


def _decoder_logits(ctx, batch) -> list:
    """Prompt and answer as one right-padded sequence; per pair, the logits at the positions before each answer
    token."""
    ids, mask = _padded([c + a for c, a in batch], ctx.tokenizer.pad_token_id, ctx.device)
    logits = ctx.model(input_ids=ids, attention_mask=mask).logits
    return [logits[row, len(context) - 1:len(context) - 1 + len(answer)]
            for row, (context, answer) in enumerate(batch)]


def _seq2seq_logits(ctx, batch) -> list:
    """The prompt as the encoder's input, the answer as the decoder's target; per pair, the decoder's logits."""
    ids, mask = _padded([c for c, _ in batch], ctx.tokenizer.pad_token_id, ctx.device)
    labels, label_mask = _padded([a for _, a in batch], ctx.tokenizer.pad_token_id, ctx.device)
    labels = labels.masked_fill(label_mask == 0, -100)
    logits = ctx.model(input_ids=ids, attention_mask=mask, labels=labels).logits
    return [logits[row, :len(answer)] for row, (_, answer) in enumerate(batch)]


def _answer_log_prob(logits, answer: list[int]) -> float:
    """Sum over the answer's tokens of log-softmax(logits at the position predicting it)[token]: only the answer's
    positions are normalised (the whole batch's vocabulary-wide log-softmax would not fit a large vocabulary)."""
    import torch

    targets = torch.tensor(answer, device=logits.device)
    return float(logits.float().log_softmax(-1).gather(-1, targets[:, None]).sum())


def calibrated(scores, content_free_scores):
    """Contextual calibration of label-word log-probabilities [examples, labels] by the content-free input's
    [examples, labels] (each example's row from the same prompt): log p(label) - log p_cf(label), each normalised
    over the label words."""
    return scores.log_softmax(-1) - content_free_scores.log_softmax(-1)
