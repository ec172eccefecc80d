#!/usr/bin/env bash
# Runs CuRnn's GPU self-test (parity with the managed engine) and benchmarks, then times PyTorch's nn.LSTM on the
# same shapes as the anchor; then the CPU thread sweep: the managed engine at 1, 2, 4, 8, 16 threads (CURNN_SWEEP_THREADS)
# beside PyTorch's CPU nn.LSTM in both glibc malloc modes. Reports go to the folder given (default: ./reports next to
# this script). CURNN_STAGES=cpu runs the CPU sweep only, =gpu the GPU stages only.
# Each stage runs under a time limit (CURNN_STAGE_TIMEOUT seconds, default 300) so one hung stage cannot hide the rest.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/reports}"
limit="${CURNN_STAGE_TIMEOUT:-300}"
mkdir -p "$out"
if [ -z "${CURNN_NATIVE_PATH:-}" ] && command -v python3 >/dev/null; then
  # A PyTorch install keeps cuDNN and cuBLAS in its nvidia/* packages; name their folders for the resolver.
  CURNN_NATIVE_PATH="$(python3 -c 'import glob, os, site; print(os.pathsep.join(p for s in site.getsitepackages() for p in sorted(glob.glob(os.path.join(s, "nvidia", "*", "lib")))))' 2>/dev/null || true)"
  export CURNN_NATIVE_PATH
fi
status=0
stage() {
  # stage NAME LOG COMMAND...: runs one stage under the limit, logs its output, says how long it took and how it ended.
  local name="$1" log="$2" start rc; shift 2
  start=$(date +%s)
  timeout "$limit" "$@" > "$log" 2>&1; rc=$?
  echo "== $name: exit $rc after $(( $(date +%s) - start )) s$( [ $rc -eq 124 ] && echo " (stopped at the ${limit} s limit)")"
  [ $rc -eq 0 ] || status=1
}
stages="${CURNN_STAGES:-all}"
sweep="${CURNN_SWEEP_THREADS:-1,2,4,8,16}"
stage "curnn info" "$out/info.log" "$here/curnn" info --format markdown --report "$out/info.md"
cat "$out/info.log"
if [ "$stages" != "cpu" ]; then
stage "curnn check" "$out/check.log" "$here/curnn" check --format markdown --report "$out/check.md"
tail -n 40 "$out/check.log"
stage "curnn bench" "$out/bench.log" "$here/curnn" bench --format markdown --shape suite --engine cudnn --report "$out/bench.md"
cat "$out/bench.md" 2>/dev/null || tail -n 40 "$out/bench.log"
if command -v python3 >/dev/null; then
  stage "PyTorch anchor" "$out/torch.md" python3 "$here/torch_anchor.py"
  cat "$out/torch.md"
fi
fi
if [ "$stages" != "gpu" ]; then
  stage "curnn bench (managed, threads $sweep)" "$out/cpu-sweep.log" "$here/curnn" bench --format markdown --engine managed --shape suite --threads "$sweep" --report "$out/cpu-sweep.md"
  cat "$out/cpu-sweep.md" 2>/dev/null || tail -n 40 "$out/cpu-sweep.log"
  if command -v python3 >/dev/null; then
    stage "PyTorch CPU sweep (glibc default)" "$out/cpu-torch.md" python3 "$here/cpu_sweep.py" "$sweep"
    cat "$out/cpu-torch.md"
    stage "PyTorch CPU sweep (kept buffers)" "$out/cpu-torch-kept.md" env MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 python3 "$here/cpu_sweep.py" "$sweep"
    cat "$out/cpu-torch-kept.md"
  fi
fi
exit $status
