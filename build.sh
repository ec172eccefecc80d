#!/usr/bin/env bash
# CuRnn build entry point: ./build.sh [restore|build|test|bench|bench-short|train] [extra args]
set -euo pipefail
cd "$(dirname "$0")"
target="${1:-build}"; shift || true
config="${CONFIGURATION:-Release}"

summarize() {
  # Prints "N passed, N failed, N skipped" from the TRX files of the last test run.
  local dir="$1" passed=0 failed=0 total=0 f line
  for f in "$dir"/*.trx; do
    [ -f "$f" ] || continue
    line=$(grep -o '<Counters [^>]*>' "$f" | head -1)
    total=$((total + $(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$line")))
    passed=$((passed + $(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$line")))
  done
  echo "$passed passed, $failed failed, $((total - passed - failed)) skipped"
}

case "$target" in
  restore) dotnet restore CuRnn.sln ;;
  build)   dotnet build CuRnn.sln -c "$config" ;;
  test)
    results="artifacts/test-results"
    rm -rf "$results"
    status=0
    dotnet test tests/CuRnn.Tests/CuRnn.Tests.csproj -c "$config" --logger "trx" --results-directory "$results" "$@" || status=$?
    summarize "$results"
    exit $status ;;
  bench)       dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- "$@" ;;
  bench-short) dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- --job short "$@" ;;
  train)       dotnet run -c Release --project src/CuRnn.Cli -- train "$@" ;;
  *) echo "unknown target '$target' (restore, build, test, bench, bench-short, train)" >&2; exit 2 ;;
esac
