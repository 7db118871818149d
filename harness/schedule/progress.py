"""What a sweep prints while it runs.

- On a terminal: finished jobs scroll as one line each, and below them a live block is redrawn in place: an overall
  bar (done/total, failures, ETA) and one line per running job (where it runs, how long, its latest epoch line,
  which workers send through their pipe).
- Not a terminal (CI, a log file): plain lines only: one when a job starts, one when it finishes, and a status line
  every minute while jobs run. No escape codes, no carriage returns.
- `--quiet`: one line per finished job, nothing else.

Executors tell the display what happens through typed events (JobStarted, JobStatus, JobFinished, JobRequeued,
JobsSkipped) passed to `Progress.emit`; diagnostics go to `logging` instead. `LiveLogHandler` writes log records
as plain lines above the live block of the display that is open, so the two never overwrite each other.
"""
from __future__ import annotations

import logging
import shutil
import sys
import time
from dataclasses import dataclass
from typing import Callable, TextIO, Union

from harness.report.text import printable

HEARTBEAT_S = 60.0
MAX_JOB_LINES = 8


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def result_detail(record: dict) -> str:
    status = record.get("status")
    if status == "ok":
        score = record.get("score")
        return f"{record.get('primary_metric')}={score:.4f}" if isinstance(score, (int, float)) else "ok"
    return f"{status}: {(record.get('error') or '')[:160]}"


@dataclass(frozen=True)
class JobStarted:
    job_id: str
    label: str
    where: str                      # cuda:0, cpu, inline, ray:gpu×0.25, ...


@dataclass(frozen=True)
class JobStatus:
    """The running job's latest phase or epoch line (one line, short)."""
    job_id: str
    text: str


@dataclass(frozen=True)
class JobFinished:
    job_id: str
    label: str
    record: dict


@dataclass(frozen=True)
class JobRequeued:
    """The job stopped and waits to run again (an out-of-memory retry alone): no longer running, not done."""
    job_id: str


@dataclass(frozen=True)
class JobsSkipped:
    """Jobs left out of this sweep after it started (another run on the same output finished them)."""
    count: int


Event = Union[JobStarted, JobStatus, JobFinished, JobRequeued, JobsSkipped]


def status_text(text: object, limit: int = 200) -> str:
    """The first line of a job's status message, as the display shows it."""
    stripped = str(text).strip()
    return stripped.splitlines()[0][:limit] if stripped else ""


@dataclass
class _Running:
    label: str
    where: str
    started: float
    status: str = "starting"


class Progress:
    def __init__(self, total: int, *, stream: TextIO | None = None, quiet: bool = False, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, sink: Callable[[str], None] | None = None):
        """sink: a callable that takes each plain line instead of writing to a stream (no live block then)."""
        self.total, self.quiet, self.clock, self.sink = total, quiet, clock, sink
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.tty = (isatty() if tty is None else tty) and not quiet and sink is None
        self.done = self.failed = 0
        self.start = clock()
        self.running: dict[str, _Running] = {}
        self._drawn = 0
        self._last_draw = 0.0
        self._last_heartbeat = self.start

    # --------------------------------------------------------------------------------------------------- events

    def emit(self, event: Event) -> None:
        """Show one event of the sweep."""
        if isinstance(event, JobStarted):
            self.started(event.job_id, event.label, event.where)
        elif isinstance(event, JobStatus):
            self.update(event.job_id, event.text)
        elif isinstance(event, JobFinished):
            self.finished(event.job_id, event.label, event.record)
        elif isinstance(event, JobRequeued):
            self.running.pop(event.job_id, None)
        elif isinstance(event, JobsSkipped):
            self.total -= event.count
        else:
            raise TypeError(f"not a progress event: {event!r}")

    def started(self, job_id: str, label: str, where: str) -> None:
        self.running[job_id] = _Running(printable(label), where, self.clock())
        if not self.tty and not self.quiet:
            self._line(f"started {label} on {where}")
        self._redraw(force=True)

    def update(self, job_id: str, text: str) -> None:
        if job_id in self.running:
            self.running[job_id].status = printable(text)
            self._redraw()

    def finished(self, job_id: str, label: str, record: dict) -> None:
        self.running.pop(job_id, None)
        self.done += 1
        self.failed += record.get("status") == "failed"
        fails = f", {self.failed} failed" if self.failed else ""
        self._line(f"[{self.done}/{self.total}{fails}, ETA {format_duration(self.eta())}] {label}: "
                   f"{result_detail(record)}")

    def message(self, text: str) -> None:
        self._line(text)

    def tick(self) -> None:
        """Called by the executor's loop about once a second."""
        if self.tty:
            self._redraw()
        elif not self.quiet and self.running and self.clock() - self._last_heartbeat >= HEARTBEAT_S:
            self._last_heartbeat = self.clock()
            jobs = "; ".join(f"{r.label} on {r.where} {format_duration(self.clock() - r.started)}: {r.status}"
                             for r in list(self.running.values())[:4])
            more = f" (+{len(self.running) - 4} more)" if len(self.running) > 4 else ""
            self._line(f"{self._summary()} running: {jobs}{more}")

    def open(self) -> "Progress":
        """Make this the display that log lines are written above (LiveLogHandler) until `close`."""
        _open_displays.append(self)
        return self

    def close(self) -> None:
        self._erase()
        if self in _open_displays:
            _open_displays.remove(self)

    # ------------------------------------------------------------------------------------------------- drawing

    def eta(self) -> float:
        if not self.done:
            return 0.0
        return (self.clock() - self.start) / self.done * (self.total - self.done)

    def _summary(self) -> str:
        fails = f", {self.failed} failed" if self.failed else ""
        eta = f", ETA {format_duration(self.eta())}" if self.done else ""
        return f"[{self.done}/{self.total} done{fails}{eta}]"

    def _width(self) -> int:
        return max(40, shutil.get_terminal_size((100, 20)).columns - 1)

    def _block(self) -> list[str]:
        width = self._width()
        bar_width = 24
        filled = int(bar_width * self.done / self.total) if self.total else bar_width
        lines = [f"{'█' * filled}{'░' * (bar_width - filled)} {self._summary()} "
                 f"elapsed {format_duration(self.clock() - self.start)}"]
        now = self.clock()
        for run in list(self.running.values())[:MAX_JOB_LINES]:
            lines.append(f"  {run.where:<8} {run.label}  {format_duration(now - run.started)}  {run.status}")
        if len(self.running) > MAX_JOB_LINES:
            lines.append(f"  … and {len(self.running) - MAX_JOB_LINES} more")
        return [line[:width] for line in lines]

    def _erase(self) -> None:
        if self.tty and self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self.stream.flush()
            self._drawn = 0

    def _redraw(self, force: bool = False) -> None:
        if not self.tty:
            return
        now = self.clock()
        if not force and now - self._last_draw < 0.25:
            return
        self._last_draw = now
        self._erase()
        block = self._block()
        self.stream.write("\n".join(block) + "\n")
        self.stream.flush()
        self._drawn = len(block)

    def _line(self, text: str) -> None:
        text = printable(text)              # a model or task name cannot send escape sequences to the terminal
        if self.sink is not None:
            self.sink(text)
            return
        self._erase()
        self.stream.write(text + "\n")
        self.stream.flush()
        self._redraw(force=True)


class NullProgress(Progress):
    def __init__(self):
        super().__init__(0, quiet=True, tty=False)

    def _line(self, text: str) -> None:  # noqa: D102 - prints nothing
        pass


_open_displays: list[Progress] = []


class LiveLogHandler(logging.StreamHandler):
    """A stderr handler for the command line: while a sweep's display is open, a log line is written through it
    (above its live block, or to its sink); otherwise to the stream. WARNING and above read `warning: ...`."""

    def __init__(self, stream: TextIO | None = None):
        super().__init__(stream)
        self.setFormatter(_PrefixedFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        if not _open_displays:
            super().emit(record)
            return
        try:
            _open_displays[-1].message(self.format(record))
        except Exception:  # noqa: BLE001 - logging never raises into the program
            self.handleError(record)


class _PrefixedFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        return f"warning: {text}" if record.levelno >= logging.WARNING else text
