using CuRnn.Cli;
using Spectre.Console;

// curnn: train (the main job), predict, info, check, bench.
return await CliApp.RunAsync(args, AnsiConsole.Console);
