"""The run configuration: `RunConfig` (every option of a run, defined once), how values are read and checked, and
where they come from (command line, `--config` YAML files, leaderboards, the smoke preset)."""
from harness.config.fields import FIELDS, RunConfig
from harness.config.sources import read_file, resolve, to_yaml
from harness.config.values import from_mapping, lora_options, updated, without_defaults

__all__ = ["FIELDS", "RunConfig", "from_mapping", "lora_options", "read_file", "resolve", "to_yaml", "updated",
           "without_defaults"]
