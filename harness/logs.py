"""Logging for the command line. The library only logs (`logging.getLogger(__name__)`); the `harness` command, which
owns its process, decides where messages go: stderr, written above a sweep's live display, at the level asked for."""
from __future__ import annotations

import logging

LEVELS = ("debug", "info", "warning", "error")


def configure_cli_logging(level: str = "info") -> None:
    """Show the `harness` logger's messages on stderr as plain lines (`warning: ...` from WARNING up); calling it
    again replaces the handler it installed."""
    from harness.schedule.progress import LiveLogHandler

    root = logging.getLogger("harness")
    for handler in [h for h in root.handlers if isinstance(h, LiveLogHandler)]:
        root.removeHandler(handler)
    root.addHandler(LiveLogHandler())
    root.setLevel(getattr(logging, level.upper()))

