"""Offline, a local Ray instance the harness starts keeps to this machine.

Ray always starts a dashboard process, `include_dashboard=False` included (it then runs only the usage-stats
module), and at start-up that module asks the cloud metadata servers which cloud it runs on: HTTP to
169.254.169.254 and a DNS lookup of `metadata.google.internal`, whether or not usage stats are enabled. Later it
sends usage reports to usage-stats.ray.io unless RAY_USAGE_STATS_ENABLED=0. Ray offers no switch for the probe, so
offline (HF_HUB_OFFLINE=1) the processes Ray starts get, besides RAY_USAGE_STATS_ENABLED=0, an HTTP(S) proxy on a
closed loopback port with only loopback exempt: every such request fails at once with a connection error (which Ray
expects and ignores) without resolving a name or leaving the machine.

These are environment variables of the processes Ray starts, which copy the driver's environment when `ray.init`
spawns them: they are set in this process only for the duration of that call.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from harness.models.resolve import hub_offline

NOWHERE_PROXY = "http://127.0.0.1:9"           # the discard port: nothing listens there on an ordinary machine
LOOPBACK = "127.0.0.1,localhost,::1"


def local_ray_env() -> dict[str, str]:
    """Environment variables for the processes of a Ray instance started here: none online."""
    if not hub_offline():
        return {}
    env = {"RAY_USAGE_STATS_ENABLED": "0"}
    for name in ("http_proxy", "https_proxy", "no_proxy"):
        value = LOOPBACK if name == "no_proxy" else NOWHERE_PROXY
        env[name] = env[name.upper()] = value     # both spellings, so a user's own setting cannot win
    return env


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """Set `env` in os.environ for the duration of the block, then restore what was there."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
