using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using Judge.Client;
using Judge.Grading.Languages;
using Spectre.Console;

namespace Judge.Cli.Batches;

/// <summary>
/// `judge submit`, `judge batch create|watch|export` and `judge rejudge`: what a student and a teacher do, through the API.
/// Progress is live on a terminal (a bar with counts by verdict and the ETA) and a line per change elsewhere.
/// </summary>
public static class BatchCommands
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(500);

    public static Command Submit()
    {
        var (api, key) = ApiOptions();
        var file = new Argument<FileInfo>("file") { Description = "The source file; its extension gives the language unless --language says." };
        var problem = new Option<string>("--problem") { Description = "The problem's slug.", Required = true };
        var language = new Option<string?>("--language") { Description = "The language (default: from the file's extension)." };
        var wait = new Option<bool>("--wait") { Description = "Wait for the verdict (without polling) and print it; exit 1 unless Accepted." };
        var command = new Command("submit", "Submit one source file.") { file, problem, language, wait, api, key };
        command.SetAction(async (parse, ct) =>
        {
            var source = parse.GetValue(file)!;
            var lang = parse.GetValue(language) ?? LanguageRegistry.ForFile(source.Name)?.Id;
            if (lang is null)
            {
                Console.Error.WriteLine($"{source.Name}: no language has the extension '{source.Extension}'; name one with --language.");
                return 2;
            }

            var client = Client(parse.GetValue(api)!, parse.GetValue(key)!);
            var id = await client.SubmitAsync(parse.GetValue(problem)!, lang, await File.ReadAllTextAsync(source.FullName, ct), "interactive", ct);
            Console.WriteLine($"submission {id}");
            if (!parse.GetValue(wait))
            {
                return 0;
            }

            var result = await client.WaitForVerdictAsync(id, TimeSpan.FromMinutes(30), ct);
            var failing = result.Tests?.FirstOrDefault(t => t.Verdict != "Accepted");
            Console.WriteLine($"{result.Verdict}{(result.MaxScore is > 1 ? $" {result.Score}/{result.MaxScore}" : "")}" +
                (failing is null ? "" : $" on test {failing.Name}{(failing.CheckerMessage is { } message ? $": {message}" : "")}"));
            if (!string.IsNullOrWhiteSpace(result.CompileOutput))
            {
                Console.WriteLine(result.CompileOutput);
            }

            return result.Verdict == "Accepted" ? 0 : 1;
        });
        return command;
    }

    public static Command Batch()
    {
        var batch = new Command("batch", "Batches: a class's solutions to one problem.");
        batch.Subcommands.Add(Create());
        batch.Subcommands.Add(Watch());
        batch.Subcommands.Add(Export());
        return batch;
    }

    public static Command Rejudge()
    {
        var (api, key) = ApiOptions();
        var problem = new Argument<string>("problem") { Description = "The problem's slug." };
        var verdict = new Option<string?>("--verdict") { Description = "Only the submissions with this verdict (default: all)." };
        var watch = new Option<bool>("--watch") { Description = "Follow the rejudge until it ends." };
        var command = new Command("rejudge", "Judge a problem's submissions again against its current version, as a batch; the originals stay.")
        {
            problem, verdict, watch, api, key,
        };
        command.SetAction(async (parse, ct) =>
        {
            var client = Client(parse.GetValue(api)!, parse.GetValue(key)!);
            var created = await client.RejudgeAsync(parse.GetValue(problem)!, parse.GetValue(verdict), ct);
            Console.WriteLine($"rejudge {created.Id}: {created.Total} submissions");
            return parse.GetValue(watch) ? await WatchAsync(client, created.Id, ct) : 0;
        });
        return command;
    }

    private static Command Create()
    {
        var (api, key) = ApiOptions();
        var path = new Argument<string>("solutions") { Description = "A zip, or a directory, of one file per student (the file name is the label)." };
        var problem = new Option<string>("--problem") { Description = "The problem's slug.", Required = true };
        var watch = new Option<bool>("--watch") { Description = "Follow the batch until it ends." };
        var command = new Command("create", "Submit a class's solutions as one batch.") { path, problem, watch, api, key };
        command.SetAction(async (parse, ct) =>
        {
            var source = parse.GetValue(path)!;
            if (!File.Exists(source) && !Directory.Exists(source))
            {
                Console.Error.WriteLine($"{source}: no such file or directory.");
                return 2;
            }

            var client = Client(parse.GetValue(api)!, parse.GetValue(key)!);
            var created = await client.CreateBatchAsync(parse.GetValue(problem)!, File.Exists(source) ? await File.ReadAllBytesAsync(source, ct) : Zip(source), ct);
            Console.WriteLine($"batch {created.Id}: {created.Total} submissions");
            return parse.GetValue(watch) ? await WatchAsync(client, created.Id, ct) : 0;
        });
        return command;
    }

    private static Command Watch()
    {
        var (api, key) = ApiOptions();
        var id = new Argument<Guid>("batch") { Description = "The batch's id." };
        var command = new Command("watch", "Follow a batch until it ends: progress, counts by verdict, ETA.") { id, api, key };
        command.SetAction((parse, ct) => WatchAsync(Client(parse.GetValue(api)!, parse.GetValue(key)!), parse.GetValue(id), ct));
        return command;
    }

    private static Command Export()
    {
        var (api, key) = ApiOptions();
        var id = new Argument<Guid>("batch") { Description = "The batch's id." };
        var format = new Option<string>("--format") { Description = "csv or json.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file (default: standard output)." };
        var command = new Command("export", "The batch's results: a row per submission (label, verdict, score, group scores, CPU, memory).") { id, format, output, api, key };
        command.SetAction(async (parse, ct) =>
        {
            var text = await Client(parse.GetValue(api)!, parse.GetValue(key)!).GetBatchResultsAsync(parse.GetValue(id), parse.GetValue(format) == "csv", ct);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, text, ct);
            }
            else
            {
                Console.Write(text);
            }

            return 0;
        });
        return command;
    }

    /// <summary>Follows the batch until it ends; exit 0 when done, 1 when cancelled.</summary>
    private static async Task<int> WatchAsync(JudgeClient client, Guid id, CancellationToken cancellationToken)
    {
        BatchDto batch;
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            batch = await client.GetBatchAsync(id, null, cancellationToken);
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var bar = progress.AddTask(Describe(batch), maxValue: batch.Total);
                    while (batch.FinishedAt is null)
                    {
                        await Task.Delay(Refresh, cancellationToken);
                        batch = await client.GetBatchAsync(id, null, cancellationToken);
                        bar.Description = Markup.Escape(Describe(batch));
                        bar.Value = Finished(batch);
                    }

                    bar.Value = batch.Total;
                });
        }
        else
        {
            var last = "";
            while (true)
            {
                batch = await client.GetBatchAsync(id, TimeSpan.FromSeconds(5), cancellationToken);
                var line = $"{Finished(batch)}/{batch.Total} {Describe(batch)}";
                if (line != last)
                {
                    Console.WriteLine(line);
                    last = line;
                }

                if (batch.FinishedAt is not null)
                {
                    break;
                }
            }
        }

        Console.WriteLine($"batch {id} {batch.Status}: {string.Join(", ", batch.ByVerdict.OrderByDescending(v => v.Value).Select(v => $"{v.Value} {v.Key}"))}");
        return batch.Status == "done" ? 0 : 1;
    }

    private static int Finished(BatchDto batch) => batch.ByStatus.GetValueOrDefault("Done") + batch.ByStatus.GetValueOrDefault("Cancelled");

    private static string Describe(BatchDto batch)
    {
        var verdicts = string.Join(" ", batch.ByVerdict.OrderByDescending(v => v.Value).Select(v => $"{v.Key} {v.Value}"));
        var rate = batch.JudgedPerSecond is { } perSecond ? $", {perSecond.ToString("0.#", CultureInfo.InvariantCulture)}/s" : "";
        var eta = batch.EtaSeconds is { } seconds and > 0 ? $", ETA {TimeSpan.FromSeconds(Math.Ceiling(seconds)):c}" : "";
        return $"{batch.Status}{(verdicts.Length > 0 ? $": {verdicts}" : "")}{rate}{eta}";
    }

    /// <summary>Every regular file below <paramref name="directory"/>, by its path there; the API labels each by its file name.</summary>
    private static byte[] Zip(string directory)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                archive.CreateEntryFromFile(file, Path.GetRelativePath(directory, file).Replace('\\', '/'));
            }
        }

        return buffer.ToArray();
    }

    private static JudgeClient Client(string api, string key) => JudgeClient.Create(new Uri(api), key);

    private static (Option<string> Api, Option<string> Key) ApiOptions() =>
    (
        new Option<string>("--api") { Description = "The API's base URL.", DefaultValueFactory = _ => "http://127.0.0.1:5080" },
        new Option<string>("--key") { Description = "An API key.", Required = true }
    );
}
