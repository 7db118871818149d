"""Generation settings: recorded in every generative record, part of the job id, shown in the report."""
from __future__ import annotations

import pytest

import harness
from harness.api import plan_run
from harness.job import Job

FAST = dict(data="sample", epochs=1, batch_size=8, lr=3e-3, max_train_samples=16, max_eval_samples=8,
            latency_requests=1, max_new_tokens=4, executor="inline", progress=lambda _: None)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, one_torch_thread):
    """The same command twice in one run directory, with 1 and then 2 beams; the report after the second."""
    out = tmp_path_factory.mktemp("beams")
    greedy = harness.run(models="tiny-t5", tasks="wmt16_en_ro", output=out, num_beams=1, write_report=False, **FAST)
    beams = harness.run(models="tiny-t5", tasks="wmt16_en_ro", output=out, num_beams=2, **FAST)
    return out, greedy, beams


def test_num_beams_gives_another_job_whose_record_holds_the_settings(two_runs):
    _, (greedy,), (beams,) = two_runs
    assert greedy["status"] == beams["status"] == "ok"
    assert greedy["job"] != beams["job"]             # not skipped as already finished: it ran again
    for record, num_beams in ((greedy, 1), (beams, 2)):
        generation = record["generation"]
        assert generation["settings"] == {"max_new_tokens": 4, "num_beams": num_beams, "length_penalty": 1.0,
                                          "no_repeat_ngram_size": 0, "do_sample": False, "use_cache": True,
                                          **({"early_stopping": True} if num_beams > 1 else {})}
        # what the model's generation_config added and the settings did not override: T5's special tokens
        assert generation["model_config"]["decoder_start_token_id"] == 0
        assert generation["model_config"]["eos_token_id"] == 1
        assert not set(generation["model_config"]) & (set(generation["settings"]) | {"output_attentions"})
        assert generation["decoding"] == ("tokenizer.decode(skip_special_tokens=True, "
                                          "clean_up_tokenization_spaces=False)")
        assert generation["latency"] == {"max_new_tokens": 4, "min_new_tokens": 4, "num_beams": 1,
                                         "length_penalty": 1.0, "no_repeat_ngram_size": 0, "do_sample": False,
                                         "use_cache": True}        # latency requests: greedy, fixed length


def test_report_shows_each_tasks_generation_settings(two_runs):
    out, _, _ = two_runs
    markdown = (out / "report.md").read_text(encoding="utf-8")
    lines = [line for line in markdown.splitlines() if line.startswith("- generation wmt16_en_ro")]
    # both settings ran seed 0 of this model and task: the report counts the latest record, and says so
    assert len(lines) == 1 and "num_beams=2" in lines[0] and "max_new_tokens=4" in lines[0], lines
    assert "replaced 1 earlier record" in markdown
    assert "- decoding tiny-t5: tokenizer.decode(" in markdown
    assert "decoder_start_token_id=0" in markdown              # the model's own generation_config
    assert "num_beams=2" in (out / "report.html").read_text(encoding="utf-8")


def test_generation_options_leave_other_jobs_ids_alone():
    def jobs(**options):
        return {j.task: j for j in plan_run(models="tiny-t5", tasks="sst2,wmt16_en_ro", data="sample", **options).jobs}
    plain, beams = jobs(latency_requests=5), jobs(latency_requests=5, num_beams=3, max_new_tokens=7)
    assert plain["sst2"].id == beams["sst2"].id and plain["sst2"].generation == {}
    assert plain["wmt16_en_ro"].id != beams["wmt16_en_ro"].id
    assert plain["wmt16_en_ro"].generation == {"max_new_tokens": 128, "num_beams": 4, "length_penalty": 1.0,
                                               "no_repeat_ngram_size": 0}         # the card's
    assert beams["wmt16_en_ro"].generation["num_beams"] == 3


def test_a_job_without_generation_keeps_the_id_it_always_had():
    job = Job(model="tiny-bert", model_spec={"source": "tiny-bert", "local": False, "revision": None},
              task="sst2", task_family="classification", kind="classification", card_path="tasks/sst2.yaml",
              card_hash="c0ffee", seed=0, hyperparameters={"lr": 0.001}, precision="auto", device="auto",
              data={"fingerprint": "f00d"}, options={"latency_requests": 5}, harness_version="0.1.0")
    assert job.id == "378c11919d1fe851"      # computed before generation settings entered ids
