#!/usr/bin/env bash
# The one-command GPU session (docs/gpu-host.md, section 6): what the machine is, then tools/gpu_bench.py on the
# shipped tiny model's TorchScript exports (float32 and bfloat16) and on ModelConfig.LARGE (random weights). Needs
# python3 with torch and a GPU; no Java, no network. Writes $OUT/gpu-check.log, gpu-bench.json, gpu-bench-bf16.json and
# gpu-bench-large.json ($OUT: the device tool's folder; ./out/gpu-check elsewhere). Exits non-zero when a run fails
# (its batching check included) or is cut off by its timeout.
#
#   device tool:  run  command "bash tools/gpu-check.sh"  timeout_s 420
#   elsewhere:    bash tools/gpu-check.sh
#   a dry run on a CPU (~2 min):
#     GPU_BENCH_ARGS="--device cpu --warmup 0 --repeats 1 --contexts 0 --rollout-k 8 --group 2 --no-fit" \
#     PYTHON=/usr/bin/python3 bash tools/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-out/gpu-check}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
PY="${PYTHON:-python3}"
LOG="$OUT/gpu-check.log"
: > "$LOG"

{
  echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)  gpu-check on $(hostname)"
  nvidia-smi -L || echo "nvidia-smi: not found or failed"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv || true
  "$PY" -c 'import sys, torch; print("python", sys.version.split()[0], "| torch", torch.__version__, "| cuda",
torch.version.cuda, "| gpu", torch.cuda.is_available() and torch.cuda.get_device_name(0))'
} 2>&1 | tee -a "$LOG"

status=0
# The shipped tiny model's export (float32, then its bfloat16 export without the fit search) and ModelConfig.LARGE with
# random weights. Each run is capped by timeout and its fit search by --fit-seconds, so that all three end inside the
# device tool's 420 s; a run cut off keeps what it had measured in its JSON ("complete": false).
# ${GPU_BENCH_ARGS} (unset on the GPU) adds options to every run, e.g. for a dry run on a CPU.
# shellcheck disable=SC2086
timeout 150 "$PY" tools/gpu_bench.py --out "$OUT/gpu-bench.json" --fit-seconds 45 ${GPU_BENCH_ARGS:-} 2>&1 \
  | tee -a "$LOG" || status=1
# shellcheck disable=SC2086
timeout 75 "$PY" tools/gpu_bench.py --model data/external/tinydit-ts-bf16.pt --no-fit --out "$OUT/gpu-bench-bf16.json" \
  ${GPU_BENCH_ARGS:-} 2>&1 | tee -a "$LOG" || status=1
# shellcheck disable=SC2086
timeout 170 "$PY" tools/gpu_bench.py --large --out "$OUT/gpu-bench-large.json" --fit-seconds 45 ${GPU_BENCH_ARGS:-} \
  2>&1 | tee -a "$LOG" || status=1
echo "== gpu-check done, status $status ($(date -u +%H:%M:%SZ))" | tee -a "$LOG"
exit $status
