using System.CommandLine;
using Judge.Benchmarks;

var root = new RootCommand("Judge benchmarks: each prints min/median/max and the environment, beside native runs where it applies.");
root.Subcommands.Add(SandboxBenchmark.Create());
root.Subcommands.Add(FleetBenchmark.Create());
root.Subcommands.Add(IsolationBenchmark.Create());
root.Subcommands.Add(BatchBenchmark.Create());
root.Subcommands.Add(JobeBenchmark.Create());
return await root.Parse(args).InvokeAsync();
