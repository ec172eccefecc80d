#!/usr/bin/env bash
# Runs CuRnn's GPU self-test (parity with the managed engine) and benchmarks, then times PyTorch's nn.LSTM on the
# same shapes as the anchor. Reports go to the folder given (default: ./reports next to this script).
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
stage "curnn info" "$out/info.log" "$here/curnn" info --report "$out/info.md"
cat "$out/info.log"
stage "curnn check" "$out/check.log" "$here/curnn" check --report "$out/check.md"
tail -n 40 "$out/check.log"
stage "curnn bench" "$out/bench.log" "$here/curnn" bench --shape suite --engine cudnn --report "$out/bench.md"
cat "$out/bench.md" 2>/dev/null || tail -n 40 "$out/bench.log"
if command -v python3 >/dev/null; then
  stage "PyTorch anchor" "$out/torch.md" python3 "$here/torch_anchor.py"
  cat "$out/torch.md"
fi
exit $status
