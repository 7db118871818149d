"""harness: fine-tune and compare pretrained language models on downstream tasks.

Python API (the CLI is a thin layer over it):

    import harness
    results = harness.run(models=["tiny-bert", "tiny-gpt2"], tasks=["sst2"], data="sample", seeds=[0, 1])
    frame = harness.load_results("runs/2026-01-01_120000")
    harness.write_report("runs/2026-01-01_120000")
    harness.evaluate(models=["runs/2026-01-01_120000/models/<job id>"], data="sample")   # a saved model, no training

Heavy libraries (torch, transformers) are imported only when a run starts. (The report function is not named
`report`: `harness.report` is the reporting package, and importing it would shadow such a function.)
"""
__version__ = "0.1.0"

__all__ = ["__version__", "run", "evaluate", "load_results", "write_report"]

_API = {"run": "run", "evaluate": "evaluate", "load_results": "load_results", "write_report": "report"}


def __getattr__(name):
    if name in _API:
        import harness.api

        return getattr(harness.api, _API[name])
    raise AttributeError(name)
