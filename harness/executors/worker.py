"""The worker process: receives jobs over a pipe, runs them, sends results back. Runs until told to stop."""
from __future__ import annotations

import os
import warnings


def quiet_libraries() -> None:
    """Keep library chatter (progress bars, 'some weights were newly initialised') out of the sweep's output."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore")
    try:
        import datasets
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
    except ImportError:  # pragma: no cover
        pass


def worker_main(conn, threads: int | None) -> None:
    from harness.job import run_job
    from harness.plan import Job

    quiet_libraries()
    if threads:
        import torch

        torch.set_num_threads(threads)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        job_dict, run_name = message
        record, predictions = run_job(Job.from_dict(job_dict), run=run_name)
        conn.send((record, predictions))
