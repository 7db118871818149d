"""harness: fine-tune and compare pretrained language models on downstream tasks.

Python API (the CLI is a thin layer over it):

    import harness
    results = harness.run(models=["tiny-bert", "tiny-gpt2"], tasks=["sst2"], data="sample", seeds=[0, 1])
    frame = harness.load_results("runs/2026-01-01_120000")

Heavy libraries (torch, transformers) are imported only when a run starts.
"""
__version__ = "0.1.0"

__all__ = ["__version__", "run", "load_results", "report"]


def __getattr__(name):
    if name == "run":
        from harness.api import run
        return run
    if name == "load_results":
        from harness.api import load_results
        return load_results
    if name == "report":
        from harness.api import report
        return report
    raise AttributeError(name)
