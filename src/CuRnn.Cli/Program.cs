using CuRnn.Cli;
using Spectre.Console;

// curnn: train (the main job), predict, info, check, bench. Results on stdout, failures one line each on stderr.
var console = AnsiConsole.Console;
if (Console.IsOutputRedirected) console.Profile.Width = 240;   // a log or a pipe: long lines stay whole
return await CliApp.RunAsync(args, console, error: Console.Error);
