"""What a model can take, checked against the run's settings before anything trains.

Today that is its position limit: a `--max-length` above it would fail inside the model (an index past the
position embeddings) once a long enough input arrives, in every job of that model.
"""
from __future__ import annotations

from harness.errors import UserError

# RoBERTa-style embeddings number positions from padding_idx + 1, so padding_idx + 1 rows of
# max_position_embeddings never hold a token (roberta-base: 514 rows, 512 tokens).
_OFFSET_BY_PADDING = ("roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "data2vec-text", "longformer",
                      "roberta-prelayernorm", "xmod")


def position_limit(config) -> int | None:
    """The most tokens one input may have for a model with this config; None for models without absolute
    positions (T5's relative attention), which take any length."""
    for name in ("max_position_embeddings", "n_positions"):
        value = getattr(config, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            if getattr(config, "model_type", "") in _OFFSET_BY_PADDING:
                value -= (getattr(config, "pad_token_id", None) or 0) + 1
            return value
    return None


def check_max_length(specs, max_length: int | None) -> None:
    """A `--max-length` above any chosen model's position limit is refused (exit 2), naming the model and its
    limit: cutting it silently would make the job id and the record claim a length the model never saw."""
    if max_length is None:
        return
    from harness.models.resolve import model_config

    for spec in specs:
        limit = position_limit(model_config(spec))
        if limit is not None and max_length > limit:
            raise UserError(f"--max-length {max_length} is above the {limit} positions of model {spec.name!r}",
                            hint=f"pass --max-length {limit} or less")
