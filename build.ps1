# CuRnn build entry point: ./build.ps1 [restore|build|test|bench|bench-short|train] [extra args]
param([string]$Target = "build", [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
$config = if ($env:CONFIGURATION) { $env:CONFIGURATION } else { "Release" }

function Summarize([string]$dir) {
  $passed = 0; $failed = 0; $total = 0
  foreach ($f in Get-ChildItem -Path $dir -Filter *.trx -ErrorAction SilentlyContinue) {
    $c = ([xml](Get-Content $f.FullName)).TestRun.ResultSummary.Counters
    $total += [int]$c.total; $passed += [int]$c.passed; $failed += [int]$c.failed
  }
  Write-Output "$passed passed, $failed failed, $($total - $passed - $failed) skipped"
}

switch ($Target) {
  "restore" { dotnet restore CuRnn.sln }
  "build"   { dotnet build CuRnn.sln -c $config }
  "test" {
    $results = "artifacts/test-results"
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    dotnet test tests/CuRnn.Tests/CuRnn.Tests.csproj -c $config --logger trx --results-directory $results @Rest
    $status = $LASTEXITCODE
    Summarize $results
    exit $status
  }
  "bench"       { dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- @Rest }
  "bench-short" { dotnet run -c Release --project benchmarks/CuRnn.Benchmarks -- --job short @Rest }
  "train"       { dotnet run -c Release --project src/CuRnn.Cli -- train @Rest }
  default { Write-Error "unknown target '$Target' (restore, build, test, bench, bench-short, train)"; exit 2 }
}
