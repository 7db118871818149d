"""transformers' run_qa example, reimplemented (it cannot be downloaded here): its pre-processing (questions
left-stripped, question + context truncated "only_second" to max_seq_length 384 with a doc_stride of 128 over
overflowing windows, answers located through the offset mapping, a window without the answer pointing at [CLS];
padded to max_seq_length by default, or each batch to its longest with --pad_to_max_length False), Trainer, and its
post-processing (postprocess_qa_predictions: the n_best 20 start and end logits of every window, spans at most
max_answer_length 30 tokens inside the context, the best-scoring span over the example's windows)."""
from __future__ import annotations

import collections
import time


def train_features(tokenizer, settings, pad_to_max_length: bool):
    def prepare_train_features(examples):
        tokenized = _windows(tokenizer, examples, settings, pad_to_max_length)
        sample_mapping = tokenized.pop("overflow_to_sample_mapping")
        offset_mapping = tokenized.pop("offset_mapping")
        tokenized["start_positions"], tokenized["end_positions"] = [], []
        for i, offsets in enumerate(offset_mapping):
            cls_index = tokenized["input_ids"][i].index(tokenizer.cls_token_id)
            answers = examples["answers"][sample_mapping[i]]
            start, end = _answer_tokens(offsets, tokenized.sequence_ids(i), answers, cls_index)
            tokenized["start_positions"].append(start)
            tokenized["end_positions"].append(end)
        return tokenized
    return prepare_train_features


def _answer_tokens(offsets, sequence_ids, answers, cls_index: int) -> tuple[int, int]:
    if len(answers["answer_start"]) == 0:
        return cls_index, cls_index
    start_char = answers["answer_start"][0]
    end_char = start_char + len(answers["text"][0])
    token_start = 0
    while sequence_ids[token_start] != 1:
        token_start += 1
    token_end = len(sequence_ids) - 1
    while sequence_ids[token_end] != 1:
        token_end -= 1
    if not (offsets[token_start][0] <= start_char and offsets[token_end][1] >= end_char):
        return cls_index, cls_index
    while token_start < len(offsets) and offsets[token_start][0] <= start_char:
        token_start += 1
    while offsets[token_end][1] >= end_char:
        token_end -= 1
    return token_start - 1, token_end + 1


def validation_features(tokenizer, settings, pad_to_max_length: bool):
    def prepare_validation_features(examples):
        tokenized = _windows(tokenizer, examples, settings, pad_to_max_length)
        sample_mapping = tokenized.pop("overflow_to_sample_mapping")
        tokenized["example_id"] = []
        for i in range(len(tokenized["input_ids"])):
            sequence_ids = tokenized.sequence_ids(i)
            tokenized["example_id"].append(examples["id"][sample_mapping[i]])
            tokenized["offset_mapping"][i] = [o if sequence_ids[k] == 1 else None
                                              for k, o in enumerate(tokenized["offset_mapping"][i])]
        return tokenized
    return prepare_validation_features


def _windows(tokenizer, examples, settings, pad_to_max_length: bool):
    return tokenizer([q.lstrip() for q in examples["question"]], examples["context"], truncation="only_second",
                     max_length=settings.max_length, stride=settings.doc_stride, return_overflowing_tokens=True,
                     return_offsets_mapping=True, padding="max_length" if pad_to_max_length else False)


def postprocess_qa_predictions(examples, features, predictions, n_best_size: int = 20,
                               max_answer_length: int = 30) -> dict:
    """Example id -> answer text, as run_qa's utils_qa does for SQuAD v1.1 (no null answer)."""
    import numpy as np

    all_start_logits, all_end_logits = predictions
    features_per_example = collections.defaultdict(list)
    for i, example_id in enumerate(features["example_id"]):
        features_per_example[example_id].append(i)
    offsets_of = features["offset_mapping"]
    answers = {}
    for example in examples:
        candidates = []
        for feature_index in features_per_example[example["id"]]:
            start_logits, end_logits = all_start_logits[feature_index], all_end_logits[feature_index]
            offsets = offsets_of[feature_index]
            for s in np.argsort(start_logits)[-1:-n_best_size - 1:-1].tolist():
                for e in np.argsort(end_logits)[-1:-n_best_size - 1:-1].tolist():
                    if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                        continue
                    if e < s or e - s + 1 > max_answer_length:
                        continue
                    candidates.append((start_logits[s] + end_logits[e], offsets[s][0], offsets[e][1]))
        best = sorted(candidates, key=lambda c: c[0], reverse=True)[:n_best_size]
        answers[example["id"]] = example["context"][best[0][1]:best[0][2]] if best else "empty"
    return answers


def run_qa_reference(model_dir: str, rows: dict, settings, pad_to_max_length: bool) -> dict:
    from transformers import (AutoModelForQuestionAnswering, AutoTokenizer, DataCollatorWithPadding, Trainer,
                              default_data_collator, set_seed)

    from harness.metrics.qa import squad_metrics
    from reference_common import optimizer_steps, reference_arguments, steady_state_clock, train_then_predict

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    train = rows["train"].map(train_features(tokenizer, settings, pad_to_max_length), batched=True,
                              remove_columns=rows["train"].column_names)
    test = rows["test"].map(validation_features(tokenizer, settings, pad_to_max_length), batched=True,
                            remove_columns=rows["test"].column_names)
    set_seed(0)
    model = AutoModelForQuestionAnswering.from_pretrained(model_dir)
    steady = steady_state_clock(settings.batch_size, optimizer_steps(len(train), settings.batch_size,
                                                                      settings.epochs), cuda=False)
    collator = default_data_collator if pad_to_max_length else DataCollatorWithPadding(tokenizer)
    trainer = Trainer(model=model, args=reference_arguments(batch_size=settings.batch_size, lr=settings.lr,
                                                            epochs=settings.epochs),
                      train_dataset=train, data_collator=collator, callbacks=[steady])
    timed = train_then_predict(trainer, test)
    start = time.perf_counter()      # run_qa's QuestionAnsweringTrainer.predict includes post-processing
    answers = postprocess_qa_predictions(rows["test"], test, timed["output"].predictions)
    timed["eval_seconds"] += time.perf_counter() - start
    test_rows = rows["test"]
    metrics = squad_metrics([answers[i] for i in test_rows["id"]], [a["text"] for a in test_rows["answers"]])
    return {"samples_per_s": steady.samples_per_s(), "train_seconds": timed["train_seconds"],
            "eval_seconds": timed["eval_seconds"], "eval_examples": len(test_rows), "score": metrics["f1"],
            "train_windows": len(train)}
