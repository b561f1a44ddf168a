using System.CommandLine;
using System.Globalization;
using Judge.Client;
using Judge.Grading.Verdicts;
using Judge.Sandbox.Languages;

namespace Judge.Cli.Demo;

/// <summary>
/// `judge demo`: creates the example problems through the API, submits every example solution, waits for
/// the verdicts and prints them beside the expected ones. Exits 1 when any verdict differs.
/// </summary>
public static class DemoCommand
{
    private static readonly string[] Header =
        ["problem", "submission", "language", "expected", "verdict", "", "tests", "max cpu ms", "queue ms", "boot ms", "compile ms", "execute ms", "total ms", "warm"];

    public static Command Create()
    {
        var api = new Option<string>("--api") { Description = "The API's base URL.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var key = new Option<string>("--key") { Description = "An admin API key.", Required = true };
        var examples = new Option<DirectoryInfo>("--examples") { Description = "Directory of example problems.", DefaultValueFactory = _ => new DirectoryInfo("examples/problems") };
        var command = new Command("demo", "Create the example problems, submit their example solutions and print the verdicts.") { api, key, examples };
        api.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out _))
            {
                result.AddError($"--api must be an absolute URL such as http://127.0.0.1:5080; got '{result.GetValueOrDefault<string>()}'.");
            }
        });
        command.SetAction((parse, ct) => RunAsync(new Uri(parse.GetValue(api)!), parse.GetValue(key)!, parse.GetValue(examples)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(Uri api, string key, DirectoryInfo examples, CancellationToken cancellationToken)
    {
        var client = JudgeClient.Create(api, key);
        var submissions = new List<(string Problem, string File, Language Language, Verdict Expected, Guid Id)>();
        foreach (var problem in examples.GetDirectories().OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            await client.CreateProblemAsync(await File.ReadAllTextAsync(Path.Combine(problem.FullName, "problem.json"), cancellationToken), cancellationToken);
            foreach (var file in problem.EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.Directory!.Parent!.Name == "submissions").OrderBy(f => f.FullName, StringComparer.Ordinal))
            {
                if (ExpectedVerdicts.FromFolder(file.Directory!.Name) is not { } expected || LanguageRegistry.ForFile(file.Name) is not { } language)
                {
                    continue;
                }

                var id = await client.SubmitAsync(problem.Name, language.Id, await File.ReadAllTextAsync(file.FullName, cancellationToken), "interactive", cancellationToken);
                submissions.Add((problem.Name, file.Name, language, expected, id));
            }
        }

        Console.WriteLine($"Submitted {submissions.Count} example solutions to {submissions.Select(s => s.Problem).Distinct().Count()} problems at {api}; waiting for verdicts…");
        var results = await Task.WhenAll(submissions.Select(s => client.WaitAsync(s.Id, TimeSpan.FromMinutes(15), cancellationToken)));
        var rows = new List<string[]> { Header };
        var mismatches = 0;
        foreach (var (s, r) in submissions.Zip(results))
        {
            var ok = r.Verdict == s.Expected.ToString();
            mismatches += ok ? 0 : 1;
            var t = r.Timings;
            rows.Add(
            [
                s.Problem, s.File, s.Language.Id, s.Expected.ToString(), r.Verdict ?? "-", ok ? "ok" : "MISMATCH",
                (r.Tests?.Count ?? 0).ToString(CultureInfo.InvariantCulture),
                r.Tests is { Count: > 0 } tests ? tests.Max(x => x.CpuMs).ToString(CultureInfo.InvariantCulture) : "-",
                Ms(t.QueueMs), Ms(t.BootMs), Ms(t.CompileMs), Ms(t.ExecuteMs), Ms(t.TotalMs), t.WarmPoolHit is true ? "hit" : "miss",
            ]);
        }

        foreach (var row in rows)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(rows.Max(x => x[c].Length)))).TrimEnd());
        }

        Console.WriteLine();
        Console.WriteLine(mismatches == 0
            ? $"All {submissions.Count} verdicts as expected (accelerator: {results.FirstOrDefault()?.Accelerator})."
            : $"{mismatches} of {submissions.Count} verdicts differ from the expected ones.");
        return mismatches == 0 ? 0 : 1;
    }

    private static string Ms(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
