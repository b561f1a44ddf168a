using System.CommandLine;
using Judge.Cli.Problems;
using Judge.Client;

namespace Judge.Cli.Demo;

/// <summary>`judge demo`: verifies every example problem package through the fleet (see `judge verify`); exits 1 on any mismatch.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var api = new Option<string>("--api") { Description = "The API's base URL.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var key = new Option<string>("--key") { Description = "An admin API key.", Required = true };
        var examples = new Option<DirectoryInfo>("--examples") { Description = "Directory of example problem packages.", DefaultValueFactory = _ => new DirectoryInfo("examples/problems") };
        var command = new Command("demo", "Import the example problem packages and judge every example submission, printing the verdicts.") { api, key, examples };
        command.SetAction(async (parse, ct) =>
        {
            var client = JudgeClient.Create(new Uri(parse.GetValue(api)!), parse.GetValue(key)!);
            var packages = parse.GetValue(examples)!.GetDirectories().OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
            var results = await Task.WhenAll(packages.Select(p => ProblemCommands.VerifyAsync(client, p.FullName, null, ct)));
            foreach (var (_, report) in results)
            {
                Console.Write(report);
            }

            var failed = packages.Zip(results).Where(r => !r.Second.Ok).Select(r => r.First.Name).ToList();
            Console.WriteLine(failed.Count == 0
                ? $"All {packages.Count} example problems verified: every submission got its expected verdict."
                : $"Not verified: {string.Join(", ", failed)}.");
            return failed.Count == 0 ? 0 : 1;
        });
        return command;
    }
}
