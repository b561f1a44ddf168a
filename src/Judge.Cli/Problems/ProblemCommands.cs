using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Judge.Client;
using Judge.Grading.Packages;
using Judge.Grading.Problems;
using Judge.Grading.Verdicts;

namespace Judge.Cli.Problems;

/// <summary>
/// `judge import` and `judge verify`: problem packages through the fleet's API. Verify imports the package,
/// judges every submission in its submissions/ folders and compares each verdict with the folder's, like
/// problemtools' verifyproblem; it exits 1 on any mismatch.
/// </summary>
public static partial class ProblemCommands
{
    private static readonly string[] Header = ["submission", "language", "expected", "got", "", "tests", "max cpu ms (normalised)", "total ms"];

    public static Command Import()
    {
        var (path, slug, api, key) = CommonOptions();
        var command = new Command("import", "Import a problem package (a directory or a zip) through the API, and wait for it to be judgeable.") { path, slug, api, key };
        command.SetAction(async (parse, ct) =>
        {
            var package = Load(parse.GetValue(path)!, Console.Error);
            if (package is null)
            {
                return 2;
            }

            var problem = await ImportAsync(Client(parse.GetValue(api)!, parse.GetValue(key)!), package.Value, parse.GetValue(slug), Console.Out, ct);
            return problem is null ? 1 : 0;
        });
        return command;
    }

    public static Command Verify()
    {
        var (path, slug, api, key) = CommonOptions();
        var command = new Command("verify", "Import a problem package and judge every submission in its submissions/ folders against the folder's verdict.")
        {
            path, slug, api, key,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (ok, report) = await VerifyAsync(Client(parse.GetValue(api)!, parse.GetValue(key)!), parse.GetValue(path)!, parse.GetValue(slug), ct);
            Console.Write(report);
            return ok ? 0 : 1;
        });
        return command;
    }

    /// <summary>Verifies one package and returns its report. Not ok when the package is broken or any verdict differs.</summary>
    public static async Task<(bool Ok, string Report)> VerifyAsync(JudgeClient client, string path, string? slug, CancellationToken cancellationToken)
    {
        var report = new StringWriter();
        var package = Load(path, report);
        if (package is null || await ImportAsync(client, package.Value, slug, report, cancellationToken) is not { } problem)
        {
            return (false, report.ToString());
        }

        var definition = package.Value.Definition;
        foreach (var warning in definition.Warnings)
        {
            report.WriteLine($"warning: {warning}");
        }

        // What each submission must get: its source's @EXPECTED_RESULTS@ line, else its folder; neither, and it is skipped.
        var judged = definition.Submissions.Select(s => (Submission: s, Header: ExpectedResults(s)))
            .Where(s => s.Header is not null || ExpectedVerdicts.IsKnown(s.Submission.Folder)).ToList();
        foreach (var unstated in definition.Submissions.Except(judged.Select(j => j.Submission)))
        {
            report.WriteLine($"warning: {unstated.Path}: not judged: its folder '{unstated.Folder}' states no verdict and it has no @EXPECTED_RESULTS@ line");
        }
        var runs = new List<(PackageSubmission Submission, IReadOnlyList<Verdict>? Header, Guid Id)>();
        var rows = new List<string[]> { Header };
        var mismatches = 0;
        foreach (var (submission, header) in judged)
        {
            try
            {
                runs.Add((submission, header, await SubmitAsync(client, problem.Slug, submission, cancellationToken)));
            }
            catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.BadRequest)
            {
                // Refused, as DOMjudge refuses some on purpose (a file name no sandbox should take): only such a header expects it.
                var ok = ExpectsRefusal(submission);
                mismatches += ok ? 0 : 1;
                rows.Add([submission.Path["submissions/".Length..], submission.Language, ok ? "refused" : ExpectedVerdicts.Describe(submission.Folder),
                    "refused by the API", ok ? "ok" : "MISMATCH", "0", "-", "-"]);
                rows.Add(["", "", "", Shorten(e.Message), "", "", "", ""]);
            }
        }

        var results = await Task.WhenAll(runs.Select(r => client.WaitAsync(r.Id, TimeSpan.FromMinutes(30), cancellationToken)));
        foreach (var ((submission, header, _), result) in runs.Zip(results))
        {
            var verdict = Enum.Parse<Verdict>(result.Verdict ?? nameof(Verdict.InternalError));
            var testVerdicts = result.Tests?.Select(t => Enum.Parse<Verdict>(t.Verdict)).ToList() ?? [];
            var ok = header is { } allowed
                ? ExpectedVerdicts.SatisfiesHeader(allowed, verdict, testVerdicts)
                : ExpectedVerdicts.Satisfies(submission.Folder, verdict, testVerdicts, result.Score ?? 0, result.MaxScore ?? definition.MaxScore, definition.Type, definition.Format) == true;
            mismatches += ok ? 0 : 1;
            var got = definition.Type == ProblemType.Scoring ? $"{verdict} {result.Score?.ToString("0.##", CultureInfo.InvariantCulture)}/{result.MaxScore?.ToString("0.##", CultureInfo.InvariantCulture)}" : verdict.ToString();
            rows.Add(
            [
                submission.Path["submissions/".Length..], submission.Language, header is null ? ExpectedVerdicts.Describe(submission.Folder) : string.Join(" or ", header),
                got, ok ? "ok" : "MISMATCH",
                (result.Tests?.Count ?? 0).ToString(CultureInfo.InvariantCulture),
                result.Tests is { Count: > 0 } tests ? tests.Max(t => t.NormalizedCpuMs ?? t.CpuMs).ToString(CultureInfo.InvariantCulture) : "-",
                result.Timings.TotalMs?.ToString(CultureInfo.InvariantCulture) ?? "-",
            ]);
            if (!ok && Why(result, verdict) is { } why)
            {
                rows.Add(["", "", "", Shorten(why), "", "", "", ""]);
            }
        }

        Table.Print(rows, report);
        var skipped = definition.Submissions.Count - judged.Count;
        var count = rows.Count(r => r[0].Length > 0) - 1;
        report.WriteLine(mismatches == 0
            ? $"{problem.Slug}: all {count} submissions got their expected verdict{(skipped > 0 ? $" ({skipped} in folders that state none were skipped)" : "")}."
            : $"{problem.Slug}: {mismatches} of {count} submissions did not get their expected verdict.");
        report.WriteLine();
        return (mismatches == 0, report.ToString());
    }

    /// <summary>Files go as their bytes: a directory may hold an object file, a source a NUL, which a text 'source' cannot carry.</summary>
    private static Task<Guid> SubmitAsync(JudgeClient client, string slug, PackageSubmission submission, CancellationToken cancellationToken) =>
        submission.Files is { } files
            ? client.SubmitFilesAsync(slug, submission.Language, files.Select(f => (f.Name, f.Content)), submission.EntryPoint, "interactive", cancellationToken)
            : IsText(submission.Source)
                ? client.SubmitAsync(slug, submission.Language, Encoding.UTF8.GetString(submission.Source), "interactive", cancellationToken)
                : client.SubmitFilesAsync(slug, submission.Language, [(Path.GetFileName(submission.Path), submission.Source)], null, "interactive", cancellationToken);

    /// <summary>DOMjudge's headers for a submission that must not be taken at all.</summary>
    private static bool ExpectsRefusal(PackageSubmission submission) =>
        (submission.Files?.Select(f => f.Text) ?? [Encoding.UTF8.GetString(submission.Source)])
        .Any(text => text.Contains("NONE-SUBMIT-FAILS", StringComparison.Ordinal) || text.Contains("NONE-INVALID-SUBMISSION", StringComparison.Ordinal));

    private static bool IsText(byte[] source) =>
        !source.AsSpan().Contains((byte)0) && System.Text.Unicode.Utf8.IsValid(source);

    /// <summary>A DOMjudge <c>@EXPECTED_RESULTS@:</c> line in the source states the verdicts it may get, whatever its folder.</summary>
    private static IReadOnlyList<Verdict>? ExpectedResults(PackageSubmission submission) =>
        ExpectedVerdicts.FromHeader(Encoding.UTF8.GetString(submission.Source))
        ?? submission.Files?.Select(f => ExpectedVerdicts.FromHeader(f.Text)).FirstOrDefault(h => h is not null);

    private static async Task<ProblemDto?> ImportAsync(JudgeClient client, (PackageFiles Files, ProblemDefinition Definition, string Slug) package, string? slug,
        TextWriter report, CancellationToken cancellationToken)
    {
        var name = slug ?? package.Slug;
        ProblemDto problem;
        try
        {
            problem = await client.ImportPackageAsync(package.Files.ToZip(), name, cancellationToken);
        }
        catch (PackageRejectedException e)
        {
            report.WriteLine($"{name}: the API refused the package: {e.Message}");
            return null;
        }

        if ((problem.Pending?.Status ?? problem.Status) == "calibrating")
        {
            Console.Error.WriteLine($"{name}: problem.yaml gives no time limit; deriving it from the package's accepted submissions…");
            problem = await client.WaitForProblemAsync(name, TimeSpan.FromMinutes(30), cancellationToken);
        }

        if (problem.Pending is { Status: "failed" } failed)
        {
            report.WriteLine($"{name}: version {failed.Version} failed: {failed.StatusMessage}");
            return null;
        }

        report.WriteLine($"{name} ({problem.Title}): version {problem.Version}, {problem.Format} package, {problem.Type}, {problem.Checker} validator, " +
            $"time limit {problem.TimeLimitMs} ms{(problem.TimeLimitDerived ? " (derived)" : "")}, memory {problem.MemoryLimitMb} MiB, {problem.TestCount} tests" +
            (problem.StatusMessage is { } note ? $"; {note}" : ""));
        return problem;
    }

    /// <summary>Reads and checks a package locally first: a broken package is reported by file and line, without the fleet.</summary>
    private static (PackageFiles Files, ProblemDefinition Definition, string Slug)? Load(string path, TextWriter report)
    {
        try
        {
            PackageFiles files;
            if (Directory.Exists(path))
            {
                files = PackageFiles.FromDirectory(path);
            }
            else
            {
                using var zip = File.OpenRead(path);
                files = PackageFiles.FromZip(zip).Files;
            }

            var name = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
            return (files, ProblemPackageReader.Read(files), Slug(name));
        }
        catch (PackageException e)
        {
            report.WriteLine($"{path}: {e.Message}");
            return null;
        }
    }

    private static string Slug(string name)
    {
        var slug = NotSlug().Replace(name.ToLowerInvariant(), "-").Trim('-');
        return slug.Length == 0 ? "problem" : slug[..Math.Min(64, slug.Length)];
    }

    /// <summary>What to show under a mismatch: the judge's error, else the first test whose verdict differs from the final one, else the first failure.</summary>
    private static string? Why(SubmissionDto result, Verdict verdict)
    {
        if (result.Error is { } error)
        {
            return error;
        }

        var failed = result.Tests?.Where(t => t.Verdict != nameof(Verdict.Accepted)).ToList() ?? [];
        var odd = failed.FirstOrDefault(t => t.Verdict != verdict.ToString()) ?? failed.FirstOrDefault();
        return odd is null ? null : $"test {odd.Name}: {odd.Verdict}{(odd.CheckerMessage is { } message ? $" ({message})" : "")}";
    }

    private static string Shorten(string text)
    {
        var line = text.Replace('\n', ' ');
        return line.Length <= 100 ? line : line[..100] + "…";
    }

    private static JudgeClient Client(string api, string key) => JudgeClient.Create(new Uri(api), key);

    private static (Argument<string> Path, Option<string?> Slug, Option<string> Api, Option<string> Key) CommonOptions() =>
    (
        new Argument<string>("package") { Description = "The package: a directory or a zip." },
        new Option<string?>("--slug") { Description = "The problem's slug (default: the package's directory name)." },
        new Option<string>("--api") { Description = "The API's base URL.", DefaultValueFactory = _ => "http://127.0.0.1:5080" },
        new Option<string>("--key") { Description = "An admin API key.", Required = true }
    );

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex NotSlug();
}

internal static class Table
{
    public static void Print(List<string[]> rows, TextWriter output)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }
    }
}
