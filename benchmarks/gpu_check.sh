#!/usr/bin/env bash
# GPU check on a CUDA machine, in stages (default: tests trainer; each call must fit a 10-minute limit):
#   tests    tests/test_gpu.py: CUDA-graph training replays without falling back; GPU jobs record memory and MFU
#                                                                                               ~2 min
#   trainer  the fast path (bf16, CUDA graphs over length buckets) against HF Trainer, bert-base (random init) x
#            full SST-2, 3 epochs (benchmarks/vs_trainer.py)                     ~5 min (timeout 400 s)
#   eager    the harness loop without compilation, 20k rows, 1 epoch                               ~2 min
#   packing  4 such jobs packed on one GPU vs one alone                                           ~4 min
# Expects what benchmarks/gpu_prepare.sh makes: .gpu/data/sst2/{train,dev}.tsv, .gpu/vocab/ (bert-base-uncased
# WordPiece files) and wheels in .whl/ for packages the machine lacks. Writes figures to $OUT (or /tmp/gpu-out).
#   bash benchmarks/gpu_check.sh tests trainer      then, if time is left:   bash benchmarks/gpu_check.sh eager packing
set -u
STAGES=" ${*:-tests trainer} "
want() { [[ $STAGES == *" $1 "* ]]; }
OUT=${OUT:-/tmp/gpu-out}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HARNESS_CACHE=/tmp/harness-cache
export HARNESS_BERT_VOCAB_DIR=$PWD/.gpu/vocab TOKENIZERS_PARALLELISM=false
wheels=.whl
python3 - <<'PY' || wheels=.whl/fallback
import pyarrow, sys
sys.exit(0 if int(pyarrow.__version__.split(".")[0]) >= 24 else 1)
PY
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $wheels/*.whl \
  || exit 1
export PYTHONPATH=/tmp/site:$PWD
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, transformers, accelerate, datasets, pyarrow; print('torch', torch.__version__, '| transformers', transformers.__version__, '| accelerate', accelerate.__version__, '| datasets', datasets.__version__, '| pyarrow', pyarrow.__version__)"

if want tests; then
echo "== 0. tests/test_gpu.py"
PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 timeout 170 python3 -m pytest -q -p no:cacheprovider tests/test_gpu.py 2>&1 | tail -n 25
fi

if want trainer; then
echo "== 1. harness (bf16, compile auto) vs Trainer (bf16, run_glue defaults), bert-base random init, full SST-2"
timeout 400 python3 benchmarks/vs_trainer.py --model bert-base-random --data-dir .gpu/data --train-rows all \
  --epochs 3 --trainer-epochs 1 --lr 2e-5 --batch-size 32 --precision bf16 --device cuda --scratch /tmp/vs --json $OUT/vs_trainer.json \
  2> >(grep -v "harness:" | tail -n 30 >&2)

fi

if want eager; then
echo "== 2. harness eager (compile off), 20k rows, 1 epoch"
timeout 150 python3 -m harness run --models /tmp/vs/bert-base-random --tasks sst2 --data-dir .gpu/data --max-train-samples 20000 \
  --epochs 1 --lr 2e-5 --precision bf16 --compile off --latency-requests 50 --output $OUT/eager --quiet 2>&1 | tail -n 4

fi

if want packing; then
echo "== 3. packing: 4 jobs on one GPU (compile off, 20k rows each)"
timeout 240 python3 -m harness run --models /tmp/vs/bert-base-random --tasks sst2 --data-dir .gpu/data --max-train-samples 20000 \
  --epochs 1 --lr 2e-5 --precision bf16 --compile off --seeds 0,1,2,3 --jobs-per-gpu 4 --latency-requests 0 \
  --output $OUT/packed --quiet 2>&1 | tail -n 6
fi

python3 - <<'PY'
import json, os, pathlib
out = pathlib.Path(os.environ.get("OUT", "/tmp/gpu-out"))
def records(name):
    path = out / name / "results.jsonl"
    return [json.loads(l) for l in path.read_text().splitlines()] if path.is_file() else []
for name in ("eager", "packed"):
    for r in records(name):
        t, m = r["train"], r["memory"]
        print(f"{name:7} seed {r['seed']} {r['status']}: {t.get('samples_per_s') or 0:8.1f} samples/s, "
              f"mfu {t.get('mfu')}, peak gpu {m.get('peak_gpu_bytes')}, acc {r['score']}, err {r['error']}")
packed = [r for r in records("packed") if r["status"] == "ok"]
eager = [r for r in records("eager") if r["status"] == "ok"]
if packed and eager:
    total = sum(r["train"]["samples_per_s"] for r in packed)
    print(f"packing: {len(packed)} concurrent jobs, aggregate {total:.0f} samples/s = "
          f"{total / eager[0]['train']['samples_per_s']:.2f}x one job alone")
PY
