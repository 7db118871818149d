"""transformers' run_translation / run_summarization examples, reimplemented (they cannot be downloaded here):
Seq2SeqTrainer with DataCollatorForSeq2Seq (each batch padded to its longest, labels padded with -100), sources
and targets tokenized with truncation to max_source_length / max_target_length (targets through `text_target`),
and predict_with_generate=True evaluation (on a test set with labels, as the scripts' predict step has, so each
batch also runs one teacher-forced forward for the loss) decoded with batch_decode(skip_special_tokens=True) and
stripped. An
encoder checkpoint becomes bert2bert as the transformers documentation warm-starts it
(EncoderDecoderModel.from_encoder_decoder_pretrained, decoder start = [CLS], eos = [SEP])."""
from __future__ import annotations

import time


def build_model(model_dir: str, tokenizer):
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, EncoderDecoderModel

    if AutoConfig.from_pretrained(model_dir).is_encoder_decoder:
        return AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    model = EncoderDecoderModel.from_encoder_decoder_pretrained(model_dir, model_dir)
    for config in (model.config, model.generation_config):
        config.decoder_start_token_id = tokenizer.cls_token_id
        config.eos_token_id = tokenizer.sep_token_id
        config.pad_token_id = tokenizer.pad_token_id
    model.config.vocab_size = model.config.decoder.vocab_size
    return model


def tokenized(rows, tokenizer, hp: dict, prefix: str):
    def preprocess_function(examples):
        inputs = tokenizer([prefix + s for s in examples["source"]], max_length=hp["max_length"], truncation=True)
        inputs["labels"] = tokenizer(text_target=examples["target"], max_length=hp["max_target_length"],
                                     truncation=True)["input_ids"]
        return inputs
    return rows.map(preprocess_function, batched=True, remove_columns=rows.column_names)


def seq2seq_trainer(model, tokenizer, hp: dict, train=None, callbacks=()):
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments

    from reference_common import reference_arguments

    arguments = reference_arguments(Seq2SeqTrainingArguments, batch_size=hp["batch_size"], lr=hp["lr"],
                                    epochs=hp["epochs"], eval_batch_size=hp["eval_batch_size"],
                                    predict_with_generate=True)
    return Seq2SeqTrainer(model=model, args=arguments, train_dataset=train, processing_class=tokenizer,
                          data_collator=DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100),
                          callbacks=list(callbacks))


def generated_texts(trainer, tokenizer, test, generation: dict) -> tuple[list[str], float]:
    """predict_with_generate over `test` with the given generation settings: decoded texts and wall seconds."""
    import numpy as np

    start = time.perf_counter()
    output = trainer.predict(test, **generation)
    predictions = np.where(output.predictions != -100, output.predictions, tokenizer.pad_token_id)
    texts = [t.strip() for t in tokenizer.batch_decode(predictions, skip_special_tokens=True)]
    return texts, time.perf_counter() - start


def train_reference(model_dir: str, rows: dict, hp: dict, prefix: str, generation: dict) -> dict:
    """The reference trained on the same rows, then its own greedy/beam predictions on test (its quality)."""
    from transformers import AutoTokenizer, set_seed

    from reference_common import optimizer_steps, steady_state_clock

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    train = tokenized(rows["train"], tokenizer, hp, prefix)
    set_seed(0)
    model = build_model(model_dir, tokenizer)
    steady = steady_state_clock(hp["batch_size"], optimizer_steps(len(train), hp["batch_size"], hp["epochs"]),
                                cuda=False)
    trainer = seq2seq_trainer(model, tokenizer, hp, train, callbacks=[steady])
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    texts, eval_seconds = generated_texts(trainer, tokenizer, tokenized(rows["test"], tokenizer, hp, prefix),
                                          generation)
    return {"samples_per_s": steady.samples_per_s(), "train_seconds": train_seconds, "eval_seconds": eval_seconds,
            "eval_examples": len(rows["test"]), "predictions": texts}


def generate_with(weights_dir: str, rows, hp: dict, prefix: str, generation: dict) -> dict:
    """The reference's predict_with_generate on given weights (the harness's own, so outputs can be compared)."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(weights_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(weights_dir)
    trainer = seq2seq_trainer(model, tokenizer, hp)
    texts, seconds = generated_texts(trainer, tokenizer, tokenized(rows, tokenizer, hp, prefix), generation)
    return {"predictions": texts, "eval_seconds": seconds, "eval_examples": len(rows)}


def same_output(ours: str, theirs: str) -> bool:
    """The same generated tokens: equal once whitespace is removed (the harness detokenizes WordPiece with learned
    spacing, batch_decode joins every word with a space)."""
    return "".join(ours.split()) == "".join(theirs.split())
