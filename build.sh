#!/usr/bin/env bash
# CuRnn build entry point: ./build.sh [restore|build|test|samples|bench|bench-short|bench-threads|bench-one|bench-chart|train|pack|gpu-bundle] [extra args]
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
  samples)
    # Builds and runs every sample (seconds each); fails on the first that fails.
    for project in samples/*/*.csproj; do
      echo "== $(basename "$project" .csproj)"
      dotnet run -c "$config" --project "$project" "$@"
    done ;;
  bench)       dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- suite full "$@" ;;
  bench-short) dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- suite short "$@" ;;
  bench-threads) dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- suite threads "$@" ;;
  bench-one)   dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- "$@" ;;
  bench-chart) dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- chart ;;
  train)
    # --ranks N: N processes under Open MPI's mpirun on this machine, training data-parallel (see README).
    ranks=""; rest=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --ranks) ranks="${2:-}"; shift 2 || { echo "--ranks needs a number" >&2; exit 2; } ;;
        --ranks=*) ranks="${1#--ranks=}"; shift ;;
        *) rest+=("$1"); shift ;;
      esac
    done
    if [ -z "$ranks" ]; then exec dotnet run -c Release --project src/CuRnn.Cli -- train "${rest[@]}"; fi
    [[ "$ranks" =~ ^[1-9][0-9]*$ ]] || { echo "--ranks must be a positive integer; actual '$ranks'" >&2; exit 2; }
    command -v mpirun >/dev/null || { echo "--ranks needs Open MPI's mpirun (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 2; }
    dotnet build src/CuRnn.Cli -c Release -nologo -v q
    as_root=(); [ "$(id -u)" = 0 ] && as_root=(--allow-run-as-root)
    exec mpirun "${as_root[@]}" --oversubscribe -np "$ranks" dotnet src/CuRnn.Cli/bin/Release/net10.0/CuRnn.Cli.dll train "${rest[@]}" ;;
  pack)
    # The library and the curnn tool (with symbols) into artifacts/packages; tools/package-smoke/run.sh tries them.
    rm -rf artifacts/packages
    dotnet pack src/CuRnn -c Release -o artifacts/packages "$@"
    dotnet pack src/CuRnn.Distributed -c Release -o artifacts/packages "$@"
    dotnet pack src/CuRnn.Cli -c Release -o artifacts/packages "$@"
    ls -l artifacts/packages ;;
  gpu-bundle)
    # NativeAOT, self-contained: curnn info/check/bench for a machine with a GPU and no .NET (needs clang or gcc here).
    out="artifacts/gpu-bundle"
    rm -rf "$out"
    linker=()
    if ! command -v clang >/dev/null; then
      cc=$(ls /usr/bin/clang-[0-9]* 2>/dev/null | sort -V | tail -1 || true)
      if [ -n "$cc" ]; then linker=(-p:CppCompilerAndLinker="$(basename "$cc")"); else linker=(-p:CppCompilerAndLinker=gcc); fi
    fi
    dotnet publish src/CuRnn.Cli -c Release -r linux-x64 -p:PublishAot=true -p:PackAsTool=false -p:IlcInstructionSet=x86-64-v3 "${linker[@]}" -o "$out" "$@"
    rm -f "$out"/*.dbg "$out"/*.pdb "$out"/*.xml
    mv "$out/CuRnn.Cli" "$out/curnn"
    cp tools/gpu-bundle/run.sh tools/gpu-bundle/torch_anchor.py tools/gpu-bundle/cpu_sweep.py "$out"/
    echo "GPU bundle in $out: copy it to the GPU machine and run ./run.sh [report-folder]" ;;
  *) echo "unknown target '$target' (restore, build, test, samples, bench, bench-short, bench-threads, bench-one, bench-chart, train, pack, gpu-bundle)" >&2; exit 2 ;;
esac
