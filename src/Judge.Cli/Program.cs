using System.CommandLine;
using Judge.Cli.Admin;
using Judge.Cli.Batches;
using Judge.Cli.Demo;
using Judge.Cli.Problems;
using Judge.Cli.Sandbox;

var root = new RootCommand("judge: the Judge online judge's command line");
root.Subcommands.Add(AdminCommands.Migrate());
root.Subcommands.Add(AdminCommands.Keys());
root.Subcommands.Add(ProblemCommands.Import());
root.Subcommands.Add(ProblemCommands.Verify());
root.Subcommands.Add(BatchCommands.Submit());
root.Subcommands.Add(BatchCommands.Batch());
root.Subcommands.Add(BatchCommands.Rejudge());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(SandboxCommands.Create());
return await root.Parse(args).InvokeAsync();
