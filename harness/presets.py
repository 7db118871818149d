"""The smoke preset that a bare `harness run` uses: tiny models x every task on the bundled samples, one epoch.

The tiny models start from random weights, so they need a far larger learning rate and more (smaller) steps than
the cards' defaults for pretrained models to show any learning within one epoch.
"""
SMOKE = {"models": "tiny-bert,tiny-gpt2,tiny-t5", "tasks": "all", "data": "sample", "epochs": 1.0, "lr": 3e-3,
         "batch_size": 8,
         # Generation for translation / summarization: the cards' beam search over 64-128 new tokens is for real
         # models; untrained tiny models rarely stop early, so the smoke run generates short and greedy.
         "max_new_tokens": 24, "num_beams": 1}
