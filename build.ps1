# CuRnn build entry point: ./build.ps1 [restore|build|test|samples|bench|bench-short|bench-threads|bench-one|bench-chart|train|pack|gpu-bundle] [extra args]
# Mirrors build.sh target for target; extra arguments go to the command each target runs.
param([string]$Target = "build", [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest = @())
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
$config = if ($env:CONFIGURATION) { $env:CONFIGURATION } else { "Release" }
$bench = @("run", "-c", "Release", "--project", "benchmarks/CuRnn.Benchmarks", "--")

function Summarize([string]$dir) {
  # Prints "N passed, N failed, N skipped" from the TRX files of the last test run.
  $passed = 0; $failed = 0; $total = 0
  foreach ($f in Get-ChildItem -Path $dir -Filter *.trx -ErrorAction SilentlyContinue) {
    $c = ([xml](Get-Content $f.FullName)).TestRun.ResultSummary.Counters
    $total += [int]$c.total; $passed += [int]$c.passed; $failed += [int]$c.failed
  }
  Write-Output "$passed passed, $failed failed, $($total - $passed - $failed) skipped"
}

# Runs dotnet with the arguments and stops the script with its exit code when it fails.
function Invoke-Dotnet([string[]]$Arguments) {
  & dotnet @Arguments
  if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

switch ($Target) {
  "restore" { Invoke-Dotnet (@("restore", "CuRnn.sln") + $Rest) }
  "build"   { Invoke-Dotnet (@("build", "CuRnn.sln", "-c", $config) + $Rest) }
  "test" {
    $results = "artifacts/test-results"
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    & dotnet test tests/CuRnn.Tests/CuRnn.Tests.csproj -c $config --logger trx --results-directory $results @Rest
    $status = $LASTEXITCODE
    Summarize $results
    exit $status
  }
  "samples" {
    # Builds and runs every sample (seconds each); fails on the first that fails.
    foreach ($project in Get-ChildItem -Path samples -Filter *.csproj -Recurse | Sort-Object FullName) {
      Write-Output "== $($project.BaseName)"
      Invoke-Dotnet (@("run", "-c", $config, "--project", $project.FullName) + $Rest)
    }
  }
  "bench"         { Invoke-Dotnet ($bench + @("suite", "full") + $Rest) }
  "bench-short"   { Invoke-Dotnet ($bench + @("suite", "short") + $Rest) }
  "bench-threads" { Invoke-Dotnet ($bench + @("suite", "threads") + $Rest) }
  "bench-one"     { Invoke-Dotnet ($bench + $Rest) }
  "bench-chart"   { Invoke-Dotnet ($bench + @("chart")) }
  "train" {
    # --ranks N: N processes under mpirun on this machine, training data-parallel (see README).
    $ranks = $null; $args2 = @()
    for ($i = 0; $i -lt $Rest.Count; $i++) {
      if ($Rest[$i] -eq "--ranks") { $ranks = $Rest[$i + 1]; $i++ }
      elseif ($Rest[$i] -like "--ranks=*") { $ranks = $Rest[$i].Substring(8) }
      else { $args2 += $Rest[$i] }
    }
    if ($null -eq $ranks) { Invoke-Dotnet (@("run", "-c", "Release", "--project", "src/CuRnn.Cli", "--", "train") + $args2) }
    else {
      if ($ranks -notmatch '^[1-9][0-9]*$') { [Console]::Error.WriteLine("--ranks must be a positive integer; actual '$ranks'"); exit 2 }
      $mpirun = Get-Command mpirun, mpiexec -ErrorAction SilentlyContinue | Select-Object -First 1
      if (-not $mpirun) { [Console]::Error.WriteLine("--ranks needs an MPI launcher (mpirun or mpiexec) on the PATH"); exit 2 }
      Invoke-Dotnet @("build", "src/CuRnn.Cli", "-c", "Release", "-nologo", "-v", "q")
      $launch = @("--oversubscribe", "-np", $ranks)
      if ($IsLinux -and (id -u) -eq "0") { $launch = @("--allow-run-as-root") + $launch }
      & $mpirun.Source @launch dotnet src/CuRnn.Cli/bin/Release/net10.0/CuRnn.Cli.dll train @args2
      exit $LASTEXITCODE
    }
  }
  "pack" {
    # The library and the curnn tool (with symbols) into artifacts/packages; tools/package-smoke/run.sh tries them.
    $out = "artifacts/packages"
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    Invoke-Dotnet (@("pack", "src/CuRnn", "-c", "Release", "-o", $out) + $Rest)
    Invoke-Dotnet (@("pack", "src/CuRnn.Distributed", "-c", "Release", "-o", $out) + $Rest)
    Invoke-Dotnet (@("pack", "src/CuRnn.Cli", "-c", "Release", "-o", $out) + $Rest)
    Get-ChildItem $out | Format-Table Name, Length
  }
  "gpu-bundle" {
    # NativeAOT, self-contained: curnn info/check/bench for a linux-x64 machine with a GPU and no .NET. Publishing for
    # linux-x64 needs a Linux host (NativeAOT does not cross-compile between operating systems).
    if (-not $IsLinux) { [Console]::Error.WriteLine("gpu-bundle publishes for linux-x64 with NativeAOT, which needs a Linux host"); exit 2 }
    $out = "artifacts/gpu-bundle"
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    $linker = @()
    if (-not (Get-Command clang -ErrorAction SilentlyContinue)) {
      $cc = Get-ChildItem /usr/bin/clang-[0-9]* -ErrorAction SilentlyContinue | Sort-Object { [int]($_.Name -replace '^clang-', '') } | Select-Object -Last 1
      $linker = if ($cc) { @("-p:CppCompilerAndLinker=$($cc.Name)") } else { @("-p:CppCompilerAndLinker=gcc") }
    }
    Invoke-Dotnet (@("publish", "src/CuRnn.Cli", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:PackAsTool=false",
      "-p:IlcInstructionSet=x86-64-v3") + $linker + @("-o", $out) + $Rest)
    Get-ChildItem $out -Include *.dbg, *.pdb, *.xml -Recurse | Remove-Item
    Move-Item "$out/CuRnn.Cli" "$out/curnn"
    Copy-Item tools/gpu-bundle/run.sh, tools/gpu-bundle/torch_anchor.py, tools/gpu-bundle/cpu_sweep.py $out
    Write-Output "GPU bundle in ${out}: copy it to the GPU machine and run ./run.sh [report-folder]"
  }
  default {
    [Console]::Error.WriteLine("unknown target '$Target' (restore, build, test, samples, bench, bench-short, bench-threads, bench-one, bench-chart, train, pack, gpu-bundle)")
    exit 2
  }
}
