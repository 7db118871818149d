"""The options of `harness run`, generated from RunConfig's fields: one click option per field."""
from __future__ import annotations

from dataclasses import MISSING
from typing import Any

import click

from harness.config.fields import FIELDS

_TYPES = {"int": click.INT, "float": click.FLOAT, "path": click.Path()}


def run_options(command):
    """Decorate `command` with one option per RunConfig field (in field order)."""
    return field_options(FIELDS)(command)


def field_options(names):
    """A decorator adding the options of these RunConfig fields (in the order given): a command taking part of
    `harness run`'s options, e.g. `harness eval`."""
    def decorate(command):
        for name in reversed(list(names)):
            command = _option(name)(command)
        return command
    return decorate


def _option(name: str):
    meta = FIELDS[name].metadata
    long = "--" + (meta["cli_name"] or name).replace("_", "-")
    default = FIELDS[name].default
    kwargs: dict[str, Any] = {"help": meta["help"], "metavar": meta["metavar"]}
    if meta["parse"] == "bool":
        decls = [f"{long}/--no-{long[2:]}"] if default else [long]
        kwargs.update(default=default, show_default=bool(default), is_flag=True)
    else:
        # A default only shows in --help: values left at their default are not passed on (see given_values).
        decls, shown = [long], _shown_default(name)
        if shown:
            kwargs["help"] += f"  [default: {shown}]"
        kwargs.update(multiple=meta["repeat"],
                      type=click.Choice(meta["choices"]) if meta["parse"] == "choice" else _TYPES.get(meta["parse"]))
    return click.option(*decls, *meta["flags"], name, **kwargs)


def _shown_default(name: str) -> str | None:
    """What `--help` shows as the default: the field's default as it would be typed, or its description."""
    field = FIELDS[name]
    if field.metadata["shown_default"]:
        return field.metadata["shown_default"]
    default = field.default if field.default_factory is MISSING else field.default_factory()
    if default is None or default == []:
        return None
    return ",".join(map(str, default)) if isinstance(default, list) else str(default)


def given_values(ctx: click.Context) -> dict[str, Any]:
    """The RunConfig fields the command line set explicitly (defaults left out, so a --config file keeps them)."""
    from click.core import ParameterSource

    given = {}
    for name in FIELDS:
        source = ctx.get_parameter_source(name)
        if source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT):
            value = ctx.params[name]
            given[name] = list(value) if isinstance(value, tuple) else value
    return given
