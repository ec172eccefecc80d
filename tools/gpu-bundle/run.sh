#!/usr/bin/env bash
# Runs CuRnn's GPU self-test (parity with the managed engine) and benchmarks, then times PyTorch's nn.LSTM on the
# same shapes as the anchor. Reports go to the folder given (default: ./reports next to this script).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/reports}"
mkdir -p "$out"
if [ -z "${CURNN_NATIVE_PATH:-}" ] && command -v python3 >/dev/null; then
  # A PyTorch install keeps cuDNN and cuBLAS in its nvidia/* packages; name their folders for the resolver.
  CURNN_NATIVE_PATH="$(python3 -c 'import glob, os, site; print(os.pathsep.join(p for s in site.getsitepackages() for p in sorted(glob.glob(os.path.join(s, "nvidia", "*", "lib")))))' 2>/dev/null || true)"
  export CURNN_NATIVE_PATH
fi
status=0
"$here/curnn" info --report "$out/info.md" || status=1
"$here/curnn" check --report "$out/check.md" > "$out/check.log" 2>&1 || status=1
tail -n 3 "$out/check.log"
"$here/curnn" bench --shape suite --engine cudnn --report "$out/bench.md" > "$out/bench.log" 2>&1 || status=1
cat "$out/bench.md" 2>/dev/null || tail -n 20 "$out/bench.log"
if command -v python3 >/dev/null; then python3 "$here/torch_anchor.py" > "$out/torch.md" 2>&1 || status=1; cat "$out/torch.md"; fi
exit $status
