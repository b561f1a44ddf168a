using System.Text;
using System.Text.RegularExpressions;
using Judge.Api.Validation;
using Judge.Grading.Languages;

namespace Judge.Api.Submissions;

/// <summary>What a submission's program is: one <c>source</c>, or several <c>files</c>, checked field by field.</summary>
public static partial class SubmissionFiles
{
    public const int MaxFiles = 64;

    /// <summary>
    /// The files of a multi-file submission, or null for a single-file one (whose source is then checked); errors name the
    /// field, after <paramref name="prefix"/> (a batch item's, "items[3].").
    /// </summary>
    public static List<SubmissionFile>? Check(
        ValidationErrors errors, string? source, IReadOnlyList<SubmissionFileRequest?>? files, string? entryPoint, int maxBytes, string prefix = "")
    {
        if (files is null)
        {
            if (entryPoint is not null)
            {
                errors.Add($"{prefix}entryPoint", $"'{prefix}entryPoint' names one of '{prefix}files'; a single '{prefix}source' has none.");
            }

            if (errors.Required($"{prefix}source", source) && Encoding.UTF8.GetByteCount(source!) is var bytes && bytes > maxBytes)
            {
                errors.Add($"{prefix}source", $"'{prefix}source' is {bytes} bytes; the limit is {maxBytes}.");
            }
            else if (source?.Contains('\0', StringComparison.Ordinal) == true)
            {
                errors.Add($"{prefix}source", $"'{prefix}source' holds a NUL character, which text cannot; give the file in '{prefix}files' with 'contentBase64'.");
            }

            return null;
        }

        if (source is not null)
        {
            errors.Add($"{prefix}files", $"Give either '{prefix}source' (one file) or '{prefix}files' (several), not both.");
            return null;
        }

        if (files.Count is 0 or > MaxFiles)
        {
            errors.Add($"{prefix}files", $"'{prefix}files' must hold 1 to {MaxFiles} files; got {files.Count}.");
            return null;
        }

        var checkedFiles = new List<SubmissionFile>();
        for (var i = 0; i < files.Count; i++)
        {
            var field = $"{prefix}files[{i}]";
            if (files[i] is not { } file)
            {
                errors.Add(field, $"'{field}' must be an object with 'name' and 'content'.");
                continue;
            }

            if (errors.Required($"{field}.name", file.Name) && !PlainName().IsMatch(file.Name!))
            {
                errors.Add($"{field}.name", $"'{field}.name' must be a plain file name (letters, digits, '.', '_', '-'; no directories); got '{file.Name}'.");
            }
            else if (file.Name is not null && checkedFiles.Any(f => f.Name == file.Name))
            {
                errors.Add($"{field}.name", $"'{field}.name' repeats the name '{file.Name}'.");
            }

            var content = Content(errors, field, file);
            if (file.Name is not null && content is not null)
            {
                checkedFiles.Add(new SubmissionFile(file.Name, content));
            }
        }

        if (entryPoint is not null && !checkedFiles.Any(f => f.Name == entryPoint))
        {
            errors.Add($"{prefix}entryPoint", $"'{prefix}entryPoint' must name one of '{prefix}files'; got '{entryPoint}'.");
        }

        var total = checkedFiles.Sum(f => f.Content.Length);
        if (total > maxBytes)
        {
            errors.Add($"{prefix}files", $"'{prefix}files' hold {total} bytes together; the limit is {maxBytes}.");
        }

        return checkedFiles;
    }

    /// <summary>
    /// The file a multi-file submission starts from (<see cref="LanguageRegistry.ForFiles"/> chooses it), with the text the
    /// submission shows as its source: a NUL, which text cannot hold, shown as U+FFFD (the file itself keeps its bytes).
    /// </summary>
    public static (string Name, string Text) EntryPoint(Language language, IReadOnlyList<SubmissionFile> files, string? entryPoint)
    {
        var name = LanguageRegistry.ForFiles(language, files, entryPoint).SourceFileName;
        return (name, files.First(f => f.Name == name).Text.Replace('\0', '\uFFFD'));
    }

    /// <summary>A file's bytes: its text as UTF-8, or its base64; exactly one of the two.</summary>
    private static byte[]? Content(ValidationErrors errors, string field, SubmissionFileRequest file)
    {
        switch (file)
        {
            case { Content: not null, ContentBase64: not null }:
                errors.Add(field, $"Give '{field}.content' (text) or '{field}.contentBase64' (bytes), not both.");
                return null;
            case { Content: { } text }:
                return Encoding.UTF8.GetBytes(text);
            case { ContentBase64: { } base64 }:
                try
                {
                    return Convert.FromBase64String(base64);
                }
                catch (FormatException)
                {
                    errors.Add($"{field}.contentBase64", $"'{field}.contentBase64' is not valid base64.");
                    return null;
                }

            default:
                errors.Add($"{field}.content", $"'{field}.content' (or '{field}.contentBase64') is required.");
                return null;
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex PlainName();
}
