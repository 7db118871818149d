"""The smoke preset that a bare `harness run` uses: the comparison and settings of `leaderboards/smoke.yaml` (tiny
models x every task on the bundled samples, one epoch), run as an ordinary run rather than as that leaderboard.

The file is the one definition: `harness run` and `harness run --leaderboard smoke` run the same jobs.
"""
from __future__ import annotations

from typing import Any

SMOKE_BOARD = "smoke"


def smoke() -> dict[str, Any]:
    """The run options of the bare `harness run`."""
    from harness.leaderboards import load

    options = load(SMOKE_BOARD, check_tasks=False).run_kwargs()
    del options["leaderboard"]        # an ordinary run: its own output folder, no leaderboard in run.json
    return options
