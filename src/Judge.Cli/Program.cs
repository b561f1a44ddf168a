using System.CommandLine;
using Judge.Cli.Sandbox;

var root = new RootCommand("judge: the Judge online judge's command line");
root.Subcommands.Add(SandboxCommands.Create());
return await root.Parse(args).InvokeAsync();
