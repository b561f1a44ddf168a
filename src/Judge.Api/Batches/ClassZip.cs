using System.Text;
using Judge.Grading.Languages;
using Judge.Grading.Packages;

namespace Judge.Api.Batches;

/// <summary>
/// A zip of one file per student, as a teacher downloads a class's hand-ins: the file name without its extension is the
/// label, the extension the language (as problemtools maps them); folders are ignored, and so are hidden files and
/// macOS's <c>__MACOSX</c> copies. Each file Judge cannot take comes back with what is wrong with it.
/// </summary>
public static class ClassZip
{
    public sealed record Item(string Label, string Language, string Source);

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

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        foreach (var path in files.Paths.Where(p => !p.StartsWith("__MACOSX/", StringComparison.Ordinal) && !Path.GetFileName(p).StartsWith('.')))
        {
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
                        continue;
                    }

                    items.Add(new Item(Path.GetFileNameWithoutExtension(path), language.Id, source));
                }
                catch (DecoderFallbackException)
                {
                    errors.Add((path, $"'{path}' is not UTF-8 text."));
                }
            }
        }

        return (items, errors);
    }
}
