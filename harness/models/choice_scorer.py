"""A multiple-choice head for any architecture: one score per (context, choice) pair, softmax over the choices.

`ChoiceScorer` wraps a sequence-classification model with a single output (the scorer) and reads each example as
`num_choices` pairs laid side by side in one row, `choice_width` tokens each (harness.kinds.multiple_choice builds
such rows): it cuts the rows of a batch into pairs padded to one width, scores every pair, masks the choices past
an example's `choice_count` and trains with cross entropy over the rest. For an encoder this is exactly
transformers' *ForMultipleChoice (a linear layer on the pooled output, one logit per choice); decoders score the
last real token of each pair and encoder-decoders their final </s>, as their sequence-classification heads do.
"""
from __future__ import annotations

import torch
from torch import nn
from transformers.modeling_outputs import MultipleChoiceModelOutput

IGNORE = -100      # label of a filler row (static batches) or a row without an answer: no loss


class ChoiceScorer(nn.Module):
    def __init__(self, scorer: nn.Module, num_choices: int):
        super().__init__()
        self.scorer = scorer
        self.num_choices = num_choices
        self.config = scorer.config
        # The parameters the checkpoint did not hold (the scoring layer), under their names in this module, so that
        # head-only and LoRA tuning find them (harness.models.loading).
        self.harness_new_parameters = {f"scorer.{name}" for name in getattr(scorer, "harness_new_parameters", ())}

    def get_encoder(self):
        """The encoder of an encoder-decoder scorer (FLOPs are counted per stack)."""
        return self.scorer.get_encoder()

    def forward(self, input_ids, attention_mask, choice_width, choice_count, token_type_ids=None, labels=None, **_):
        rows, slots = input_ids.shape[0], self.num_choices
        # Pair c of row b holds tokens [c * w_b, (c + 1) * w_b) of the row; the batch's row width bounds every w_b,
        # so every pair fits in `span` places (known from the shape: no device-to-host sync).
        span = input_ids.shape[1] // slots
        place = torch.arange(span, device=input_ids.device).view(1, 1, span)
        width = choice_width.view(rows, 1, 1)
        inside = place < width
        index = torch.where(inside, torch.arange(slots, device=input_ids.device).view(1, slots, 1) * width + place, 0)
        index = index.view(rows, slots * span)

        def pairs(tensor, fill):
            picked = tensor.gather(1, index).view(rows, slots, span).masked_fill(~inside, fill)
            return picked.view(rows * slots, span)

        inputs = {"input_ids": pairs(input_ids, self.config.pad_token_id or 0),
                  "attention_mask": pairs(attention_mask, 0)}
        if token_type_ids is not None:
            inputs["token_type_ids"] = pairs(token_type_ids, 0)
        scores = self.scorer(**inputs).logits.float().view(rows, slots)
        present = torch.arange(slots, device=scores.device).view(1, slots) < choice_count.view(rows, 1)
        scores = scores.masked_fill(~present, torch.finfo(scores.dtype).min)
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(scores, labels, ignore_index=IGNORE)
        return MultipleChoiceModelOutput(loss=loss, logits=scores)
