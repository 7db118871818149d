"""Every task kind without training (`--tuning none`), and "no training" in the reports.

A synthetic store mixing `none` and `full` entries checks the cost table, the Pareto fronts, `select` and every
report format; one small real run (the three tiny models, a task of each family) checks that every job is `ok` or
`unsupported` with its reason, the encoder cosine of STS-B against a hand computation, and the QA answers a decoder
generates against SQuAD EM/F1.
"""
from __future__ import annotations

import pytest

from harness.report import build_and_write
from harness.report.aggregate import build
from harness.report.cost_table import cost_table
from harness.report.limits import parse_limits
from harness.report.load import load_run
from harness.report.recommend import render_selection, select
from harness.report.synthetic import record, write_run

SST2 = ("sst2", "classification", "classification", "accuracy", True)
STSB = ("stsb", "similarity", "regression", "pearson", True)


def _untrained(model: str, task: tuple, seed: int, score: float, **kw) -> dict:
    made = record(model, task, seed, score=score, tuning="none", **kw)
    made["train"].update(samples_per_s=None, tokens_per_s=None, seconds=0.0, steps=0, epochs=0.0)
    made["trainable_params"] = 0
    return made


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    records = []
    for task in (SST2, STSB):
        for seed in range(2):
            records.append(record("bert", task, seed, score=0.90 + seed / 100, samples_per_s=300.0, latency_ms=8.0))
            records.append(record("minilm", task, seed, score=0.80 + seed / 100, samples_per_s=900.0, latency_ms=3.0,
                                  peak_gpu=2 * 2 ** 30))
            records.append(_untrained("minilm", task, seed, 0.70 + seed / 100, latency_ms=3.0, peak_gpu=2 ** 30))
            # fast to train but no better than minilm without training: only that untrained entry dominates it
            records.append(record("tiny", task, seed, score=0.65 + seed / 100, samples_per_s=2000.0, latency_ms=1.0,
                                  peak_gpu=2 ** 30))
    return write_run(tmp_path_factory.mktemp("mixed") / "run", records)


def test_cost_table_says_no_training(mixed_run):
    table = cost_table(build(load_run(mixed_run)))
    rows = {row[table.columns.index("entry")].text: row for row in table.rows}
    untrained = rows["minilm (none)"]
    throughput = untrained[table.columns.index("train samples/s")]
    assert throughput.text == "no training" and throughput.sort > 1e300
    assert untrained[table.columns.index("train tokens/s")].text == "no training"
    assert untrained[table.columns.index("trainable params")].text == "0"
    assert rows["bert (full)"][table.columns.index("train samples/s")].text == "300.0"
    assert any("no training" in sentence.lower() for sentence in table.intro)


def test_no_training_is_on_the_speed_front(mixed_run):
    overall = build(load_run(mixed_run)).overall.set_index("entry")
    # no training costs least: the untrained entry is on the front, and dominates the fastest-training one it beats
    assert overall.loc[["bert (full)", "minilm (full)", "minilm (none)"], "pareto_speed"].all()
    assert not overall.loc["tiny (full)", "pareto_speed"]
    assert overall.loc["minilm (none)", "pareto_memory"]


def test_select_treats_no_training_as_an_option(mixed_run):
    lb = build(load_run(mixed_run))
    selection = select(lb, None, parse_limits(min_throughput="500"))      # a training-speed floor bert fails
    chosen = selection.chosen.set_index("entry")
    assert set(chosen.index) == {"minilm (full)", "minilm (none)", "tiny (full)"}
    assert chosen.loc["minilm (none)", "pareto"]
    text = render_selection(selection)
    assert "no training" in text and "cheaper to train (no training)" in text
    assert "bert (full)" in dict(selection.excluded)


def test_every_format_renders_a_mixed_run(mixed_run, tmp_path):
    _, written = build_and_write(mixed_run, tmp_path / "report")
    names = {p.name for p in written}
    assert {"report.md", "report.html", "leaderboard.csv", "score_vs_throughput.png"} <= names
    assert "no training" in (tmp_path / "report" / "report.md").read_text()
    assert "no training" in (tmp_path / "report" / "report.html").read_text()
    if "leaderboard.tex" in names:
        assert "no training" in (tmp_path / "report" / "leaderboard.tex").read_text()


# --- a real run: every family under `none` on the three tiny models ----------------------------------------------
MODELS = ["tiny-bert", "tiny-gpt2", "tiny-t5"]
TASKS = ["sst2", "stsb", "conll2003", "squad", "wmt16_en_ro", "xsum", "copa"]
EVAL_ROWS = 8
SMALL = {"data": "sample", "max_eval_samples": EVAL_ROWS, "latency_requests": 0, "max_new_tokens": 8,
         "executor": "inline", "write_report": False}
# What works without training, per architecture; everything else is unsupported with its reason.
GENERATIVE = {"sst2", "stsb", "squad", "wmt16_en_ro", "xsum"}
EXPECTED_OK = {"tiny-bert": {"stsb"}, "tiny-gpt2": GENERATIVE, "tiny-t5": GENERATIVE}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """The families under `none`, then (same output) a few-shot translation job and one fine-tuned job, so the
    report mixes entries with and without training."""
    import harness

    output = tmp_path_factory.mktemp("zero_shot") / "run"
    records = harness.run(models=MODELS, tasks=TASKS, tuning=["none"], output=str(output), **SMALL)
    records += harness.run(models=["tiny-gpt2"], tasks=["wmt16_en_ro"], tuning=["icl:2"], output=str(output),
                           **SMALL)
    records += harness.run(models=["tiny-bert"], tasks=["stsb"], tuning=["full"], output=str(output), epochs=1,
                           max_train_samples=16, **SMALL)
    return output, {(r["model"], r["task"], r["tuning"]): r for r in records}


@pytest.mark.slow      # the one run they share takes about a minute
def test_every_family_is_ok_or_unsupported_with_its_reason(real_run):
    _, records = real_run
    for model in MODELS:
        for task in TASKS:
            record = records[(model, task, "none")]
            assert record["status"] == ("ok" if task in EXPECTED_OK[model] else "unsupported"), (model, task, record)
            if record["status"] == "unsupported":
                assert record["error"], (model, task)
            else:
                assert record["train"]["steps"] == 0 and record["trainable_params"] == 0
                assert record["score"] is not None and record["prompting"]["shots"] == 0
    assert "writes text" in records[("tiny-bert", "wmt16_en_ro", "none")]["error"]
    assert "token-classification head" in records[("tiny-gpt2", "conll2003", "none")]["error"]
    assert "scoring head" in records[("tiny-t5", "copa", "none")]["error"]


@pytest.mark.slow      # the one run they share takes about a minute
def test_encoder_similarity_is_the_cosine_of_mean_pooled_embeddings(real_run):
    import json

    import torch
    from transformers import AutoModel, AutoTokenizer

    from harness.api import plan_run
    from harness.data.prepare import PreparedData
    from harness.models.resolve import resolve_model

    output, records = real_run
    record = records[("tiny-bert", "stsb", "none")]
    assert record["prompting"]["scale"] == [0.0, 5.0] and "mean-pooled" in record["prompting"]["method"]
    (job,) = plan_run(models="tiny-bert", tasks="stsb", tuning=["none"], data="sample").jobs
    rows = PreparedData(path=__import__("pathlib").Path(job.data["path"]), fingerprint=job.data["fingerprint"],
                        sizes=job.data["sizes"], source=job.data["source"]).load("test")
    predictions = json.loads((output / "predictions" / f"{record['job']}.json").read_text())["predictions"]
    source = resolve_model("tiny-bert").source
    tokenizer, model = AutoTokenizer.from_pretrained(source), AutoModel.from_pretrained(source).eval()

    def mean_embedding(text: str):
        with torch.no_grad():       # one sentence, no padding: the plain mean over its tokens
            return model(**tokenizer(text, return_tensors="pt")).last_hidden_state[0].mean(dim=0)

    for i in range(2):
        a, b = mean_embedding(rows[i]["text"]), mean_embedding(rows[i]["text_pair"])
        cosine = float(a @ b / (a.norm() * b.norm()))
        assert predictions[i] == pytest.approx((cosine + 1) / 2 * 5, abs=1e-4)


@pytest.mark.slow      # the one run they share takes about a minute
def test_generated_qa_answers_are_scored_with_squad_em_f1(real_run):
    import json

    from harness.metrics.qa import squad_metrics

    output, records = real_run
    for model in ("tiny-gpt2", "tiny-t5"):
        record = records[(model, "squad", "none")]
        stored = json.loads((output / "predictions" / f"{record['job']}.json").read_text())
        assert len(stored["predictions"]) == EVAL_ROWS and all(isinstance(p, str) for p in stored["predictions"])
        assert record["metrics"] == pytest.approx(squad_metrics(stored["predictions"], stored["references"]))
        assert "{context}" in record["prompting"]["template"] and record["prompting"]["max_new_tokens"] == 30


@pytest.mark.slow      # the one run they share takes about a minute
def test_few_shot_generation_records_its_demonstrations(real_run):
    _, records = real_run
    record = records[("tiny-gpt2", "wmt16_en_ro", "icl:2")]
    assert record["status"] == "ok" and record["prompting"]["shots"] == 2
    assert record["prompting"]["demonstrations_kept"]["min"] <= 2
    assert record["generation"]["settings"]["max_new_tokens"] == 8


@pytest.mark.slow      # the one run they share takes about a minute
def test_the_report_of_a_real_mixed_run_renders(real_run, tmp_path):
    output, _ = real_run
    _, written = build_and_write(output, tmp_path / "report")
    assert {"report.md", "report.html", "score_vs_throughput.png"} <= {p.name for p in written}
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "tiny-bert (none)" in markdown and "tiny-bert (full)" in markdown and "no training" in markdown


# --- pieces ---------------------------------------------------------------------------------------------------
class _Builder:
    """A stand-in PromptBuilder: each demonstration is 10 tokens, the row's own prompt 5."""

    def shots_for(self, row):
        return (0, 1, 2)

    def render(self, row, shots):
        return shots

    def encode(self, shots):
        return [7] * (10 * len(shots) + 5)


def test_prompts_too_long_lose_demonstrations_from_the_front_then_their_first_tokens():
    from harness.kinds.prompted_generation import build_prompts

    fits = build_prompts(_Builder(), [{}], room=35)
    assert fits.kept == [3] and len(fits.ids[0]) == 35 and fits.cut == 0
    two = build_prompts(_Builder(), [{}], room=30)
    assert two.kept == [2] and len(two.ids[0]) == 25
    bare = build_prompts(_Builder(), [{}, {}], room=3)
    assert bare.kept == [0, 0] and [len(p) for p in bare.ids] == [3, 3] and bare.cut == 2
    assert bare.describe(shots=3) == {"demonstrations_kept": {"mean": 0.0, "min": 0}, "prompts_cut": 2}


@pytest.mark.parametrize("answer, score", [("3.8", 3.8), (" Score: 4 out of 5", 4.0), ("-1", -1.0),
                                           ("unrelated", None), ("", None)])
def test_the_score_parser_takes_the_first_number(answer, score):
    from harness.kinds.score_prompt import parse_score

    assert parse_score(answer) == score
