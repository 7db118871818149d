"""transformers' run_ner example, reimplemented (it cannot be downloaded here): Trainer with
DataCollatorForTokenClassification, label_all_tokens=False (a word's label on its first sub-token, -100 elsewhere),
every example padded to max_length (--pad_to_max_length True) or each batch to its longest (False, the collator
padding), and seqeval over the positions that carry a label, as its compute_metrics does."""
from __future__ import annotations

IGNORE = -100


def run_ner_reference(model_dir: str, rows: dict, labels: list[str], settings, pad_to_max_length: bool) -> dict:
    import numpy as np
    from seqeval.metrics import f1_score
    from transformers import (AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification,
                              Trainer, set_seed)

    from reference_common import optimizer_steps, reference_arguments, steady_state_clock, train_then_predict

    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    def tokenize_and_align_labels(examples):
        tokenized = tokenizer(examples["tokens"], padding="max_length" if pad_to_max_length else False,
                              truncation=True, max_length=settings.max_length, is_split_into_words=True)
        all_labels = []
        for i, tags in enumerate(examples["ner_tags"]):
            previous, aligned = None, []
            for word in tokenized.word_ids(batch_index=i):
                aligned.append(IGNORE if word is None or word == previous else tags[word])
                previous = word
            all_labels.append(aligned)
        tokenized["labels"] = all_labels
        return tokenized

    train, test = (rows[role].map(tokenize_and_align_labels, batched=True, remove_columns=rows[role].column_names)
                   for role in ("train", "test"))
    set_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        model_dir, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)})
    steady = steady_state_clock(settings.batch_size, optimizer_steps(len(train), settings.batch_size,
                                                                      settings.epochs), cuda=False)
    trainer = Trainer(model=model, args=reference_arguments(batch_size=settings.batch_size, lr=settings.lr,
                                                            epochs=settings.epochs),
                      train_dataset=train, data_collator=DataCollatorForTokenClassification(tokenizer),
                      callbacks=[steady])
    timed = train_then_predict(trainer, test)
    best = np.argmax(timed["output"].predictions, axis=2)
    gold = timed["output"].label_ids
    predicted = [[labels[p] for p, g in zip(row_p, row_g) if g != IGNORE] for row_p, row_g in zip(best, gold)]
    references = [[labels[g] for g in row_g if g != IGNORE] for row_g in gold]
    return {"samples_per_s": steady.samples_per_s(), "train_seconds": timed["train_seconds"],
            "eval_seconds": timed["eval_seconds"], "eval_examples": len(test),
            "score": f1_score(references, predicted)}
