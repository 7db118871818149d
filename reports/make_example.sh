#!/usr/bin/env bash
# Regenerates reports/example/ from a real run: MiniLM (the locally installed all-MiniLM-L6-v2, `--models minilm`)
# and the three built-in tiny models on slices of the shared development data, every task family, two seeds, CPU.
#
#   reports/make_example.sh                  # DATA=../shared/data RUN=runs/example by default
#   DATA=/path/to/data RUN=/tmp/ex reports/make_example.sh
#
# The run resumes: rerunning after an interruption only runs the missing jobs. It took 60 to 80 minutes on a busy
# two-core CPU (MiniLM on SQuAD, WMT16 and XSum dominates: long inputs and generation); minutes on a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
RUN=${RUN:-runs/example}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1

# One learning rate for every model (1e-4 suits MiniLM on 1k examples; the tiny models are random-init and stay
# near chance at any rate, which is the point of the comparison). Greedy decoding with at most 48 new tokens keeps
# generation affordable on a CPU; the cards' beam search would be the choice for real numbers.
# MRPC and SQuAD ship only their dev sets there: each is given as one file, which the harness splits into
# train / validation / test (see the cards). CNN/DailyMail has no local copy and is skipped (listed in the report).
harness run --models minilm,tiny-bert,tiny-gpt2,tiny-t5 --tasks all --data-dir "$DATA" \
    --data "mrpc=$DATA/mrpc/dev.tsv" --data "squad=$DATA/squad/dev-v1.1.json" \
    --max-train-samples 1000 --max-eval-samples 200 --epochs 1 --lr 1e-4 --seeds 0,1 \
    --num-beams 1 --max-new-tokens 48 --latency-requests 20 --output "$RUN" --no-report
rm -rf reports/example
harness report "$RUN" --out reports/example
