#!/usr/bin/env bash
# Checks the packages as a new user meets them: a fresh console app that knows only artifacts/packages (and NuGet)
# adds CuRnn by name and runs an LSTM forward; the curnn tool installs from the same folder and runs.
# Usage: tools/package-smoke/run.sh (after ./build.sh pack). Prints "package smoke: ok" at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
packages="$root/artifacts/packages"
version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$root/Directory.Build.props")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A package of this version may be cached from an earlier pack; take this one.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/curnn" "${NUGET_PACKAGES:-$HOME/.nuget/packages}/curnn.cli"

cd "$work"
dotnet new console -n App -o app --framework net10.0 > /dev/null
cd app
# The app knows two sources: the packages just built and NuGet (for their dependencies).
dotnet new nugetconfig > /dev/null
dotnet nuget add source "$packages" --name curnn-artifacts --configfile nuget.config > /dev/null
dotnet add package CuRnn --version "$version" > add.log 2>&1 || { cat add.log; exit 1; }
cat > Program.cs <<'CS'
using CuRnn;

using var lstm = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 8, HiddenSize = 16 });
var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, maxLength: 5, lengths: [5, 3]);
var x = new float[batch.ElementCount(8)];
for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i);
var y = new float[batch.ElementCount(16)];
lstm.Forward(batch, x, y);
Console.WriteLine($"LSTM forward on {lstm.Backend}: y[0] = {y[0]:F6}, {y.Count(v => v != 0)} of {y.Length} outputs set");
CS
dotnet run -c Release
cd "$work"
dotnet tool install CuRnn.Cli --version "$version" --add-source "$packages" --tool-path "$work/tools" > tool.log 2>&1 || { cat tool.log; exit 1; }
"$work/tools/curnn" --version
"$work/tools/curnn" info | head -4
echo "package smoke: ok"
