using System.Globalization;
using CuRnn;
using CuRnn.Cli;

// curnn: the command-line face of CuRnn: train (the demo job), info, check, bench.
bool helpAsked = args.Length == 0 || args.Any(a => a is "-h" or "--help");
string command = args.Length == 0 ? "" : args[0];
if (command is "info" or "check" or "bench" && !helpAsked)
{
    try { return DiagnosticCommands.Run(command, args[1..], Console.Out); }
    catch (ArgumentException e) { Console.Error.WriteLine($"curnn: {e.Message}"); return 2; }
}
if (helpAsked || command != "train")
{
    Console.WriteLine("""
        usage: curnn train [--cell lstm|gru|tanh|relu] [--hidden N] [--layers N] [--bidirectional]
                           [--steps N] [--batch N] [--min-length N] [--max-length N] [--lr X] [--seed N]
          Trains a recurrent layer with a linear head on the adding problem (variable-length sequences).
        usage: curnn info
          The backend probe: CPU features, CUDA driver, devices, cuDNN, and which engine Auto picks.
        usage: curnn check [--report FILE]
          Self-test: static == dynamic on the managed engine; GPU vs managed parity where cuDNN runs.
        usage: curnn bench [--shape NAME] [--repetitions N] [--report FILE]
          cuDNN latency and peak device memory (host spans and device pointers, both modes, swap on and off).
        """);
    return helpAsked ? 0 : 2;
}

var s = new TrainCommand.Settings();
try
{
    for (int i = 1; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        int Int() { string v = Value(); return int.TryParse(v, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{args[i - 1]} must be a positive integer; actual '{v}'"); }
        s = args[i] switch
        {
            "--cell" => s with { Cell = Value() switch { "lstm" => RnnCellKind.Lstm, "gru" => RnnCellKind.Gru, "tanh" => RnnCellKind.RnnTanh, "relu" => RnnCellKind.RnnRelu, var v => throw new ArgumentException($"--cell must be lstm, gru, tanh or relu; actual '{v}'") } },
            "--hidden" => s with { Hidden = Int() },
            "--layers" => s with { Layers = Int() },
            "--bidirectional" => s with { Bidirectional = true },
            "--steps" => s with { Steps = Int() },
            "--batch" => s with { Batch = Int() },
            "--min-length" => s with { MinLength = Int() },
            "--max-length" => s with { MaxLength = Int() },
            "--seed" => s with { Seed = Int() },
            "--lr" => s with { LearningRate = float.TryParse(Value(), CultureInfo.InvariantCulture, out float lr) && lr > 0 ? lr : throw new ArgumentException("--lr must be a positive number") },
            var other => throw new ArgumentException($"unknown option '{other}' (see curnn train --help)"),
        };
    }
    if (s.MinLength < 2 || s.MinLength > s.MaxLength) throw new ArgumentException($"--min-length must be in 2..--max-length ({s.MaxLength}); actual {s.MinLength}");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"curnn: {e.Message}");
    return 2;
}
return TrainCommand.Run(s, Console.Out);
