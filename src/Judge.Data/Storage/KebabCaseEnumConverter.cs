using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Judge.Data.Storage;

/// <summary>
/// Stores an enum as its kebab-case name (<c>PassFail</c> as <c>pass-fail</c>), the spelling the schema's CHECK
/// constraints, the package format and the API use, so C# compares enum members and SQL sees the same text as before.
/// </summary>
public sealed class KebabCaseEnumConverter<TEnum>() : ValueConverter<TEnum, string>(value => StoredName.Of(value), text => StoredName.Parse<TEnum>(text))
    where TEnum : struct, Enum;

public static class StoredName
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum => Names<TEnum>.ByValue[value];

    public static TEnum Parse<TEnum>(string text) where TEnum : struct, Enum =>
        Names<TEnum>.ByName.TryGetValue(text, out var value)
            ? value
            : throw new InvalidOperationException($"'{text}' is not a stored {typeof(TEnum).Name} (known: {string.Join(", ", Names<TEnum>.ByName.Keys)}).");

    public static bool TryParse<TEnum>(string? text, out TEnum value) where TEnum : struct, Enum =>
        Names<TEnum>.ByName.TryGetValue(text ?? "", out value);

    public static IEnumerable<string> All<TEnum>() where TEnum : struct, Enum => Names<TEnum>.ByName.Keys;

    private static class Names<TEnum> where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> ByValue = Enum.GetValues<TEnum>().ToDictionary(v => v, v => Kebab(v.ToString()));
        public static readonly Dictionary<string, TEnum> ByName = ByValue.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
