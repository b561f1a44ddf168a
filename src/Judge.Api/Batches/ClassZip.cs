using System.Text;
using Judge.Api.Submissions;
using Judge.Grading.Languages;
using Judge.Grading.Packages;

namespace Judge.Api.Batches;

/// <summary>
/// A zip of a class's hand-ins, as a teacher downloads them: one file per student, whose name without its extension is the
/// label and whose extension the language (as problemtools maps them); or a folder per student holding several files, one
/// multi-file submission labelled by the folder, in the language of most of its sources. A folder holding one file is
/// that file's. Hidden files and macOS's <c>__MACOSX</c> copies are ignored. Each file Judge cannot take comes back with
/// what is wrong with it.
/// </summary>
public static class ClassZip
{
    public sealed record Item(string Label, string Language, string Source, List<SubmissionFile>? Files = null, string? EntryPoint = null);

    public static (List<Item> Items, List<(string File, string Message)> Errors) Read(byte[] zip, int maxSourceBytes)
    {
        var items = new List<Item>();
        var errors = new List<(string, string)>();
        PackageFiles files;
        try
        {
            using var stream = new MemoryStream(zip, writable: false);
            (files, _) = PackageFiles.FromZip(stream);
        }
        catch (PackageException e)
        {
            errors.Add(("body", e.Message));
            return (items, errors);
        }

        var paths = files.Paths.Where(p => !p.StartsWith("__MACOSX/", StringComparison.Ordinal) && !Path.GetFileName(p).StartsWith('.')).ToList();
        foreach (var folder in paths.GroupBy(p => p.Contains('/', StringComparison.Ordinal) ? p.Split('/')[0] : p))
        {
            if (folder.Count() == 1)
            {
                Single(files, folder.Single(), maxSourceBytes, items, errors);
            }
            else
            {
                Several(files, folder.Key, [.. folder], maxSourceBytes, items, errors);
            }
        }

        return (items, errors);
    }

    private static void Single(PackageFiles files, string path, int maxSourceBytes, List<Item> items, List<(string, string)> errors)
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var language = LanguageRegistry.ForFile(path);
        var content = files.Read(path);
        if (language is null)
        {
            errors.Add((path, $"'{path}': no language has the extension '{Path.GetExtension(path)}'. Known: {string.Join(", ", LanguageRegistry.Extensions)}."));
        }
        else if (content.Length > maxSourceBytes)
        {
            errors.Add((path, $"'{path}' is {content.Length} bytes; the limit is {maxSourceBytes}."));
        }
        else
        {
            try
            {
                var source = utf8.GetString(content);
                if (source.Contains('\0', StringComparison.Ordinal))
                {
                    errors.Add((path, $"'{path}' contains a NUL character; a source is text."));
                    return;
                }

                items.Add(new Item(Path.GetFileNameWithoutExtension(path), language.Id, source));
            }
            catch (DecoderFallbackException)
            {
                errors.Add((path, $"'{path}' is not UTF-8 text."));
            }
        }
    }

    /// <summary>A student's folder of several files: one submission, its files by name wherever they were in the folder.</summary>
    private static void Several(PackageFiles files, string folder, List<string> paths, int maxSourceBytes, List<Item> items, List<(string, string)> errors)
    {
        var byName = paths.GroupBy(Path.GetFileName).ToList();
        if (byName.FirstOrDefault(g => g.Count() > 1) is { } clash)
        {
            errors.Add((clash.First(), $"'{folder}/' holds two files named '{clash.Key}': {string.Join(", ", clash)}."));
            return;
        }

        var submission = paths.Select(p => new SubmissionFile(Path.GetFileName(p), files.Read(p))).ToList();
        if (submission.Sum(f => f.Content.Length) is var total && total > maxSourceBytes)
        {
            errors.Add((folder, $"'{folder}/' holds {total} bytes; the limit is {maxSourceBytes}."));
            return;
        }

        if (LanguageRegistry.ForSources(submission) is not { } language)
        {
            errors.Add((folder, $"'{folder}/': none of its files has a language's extension. Known: {string.Join(", ", LanguageRegistry.Extensions)}."));
            return;
        }

        var entry = SubmissionFiles.EntryPoint(language, submission, folder);
        items.Add(new Item(folder, language.Id, entry.Text, submission, entry.Name));
    }
}
