using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Judge.Data.Storage;

/// <summary>
/// Stores an enum as its kebab-case name (<c>PassFail</c> as <c>pass-fail</c>), the spelling the schema's CHECK
/// constraints, the package format and the API use, so C# compares enum members and SQL sees the same text as before.
/// </summary>
public sealed class KebabCaseEnumConverter<TEnum>()
    : ValueConverter<TEnum, string>(value => StoredName.Of(value), text => StoredName.Parse<TEnum>(text))
    where TEnum : struct, Enum;

/// <summary>Stores an enum as its snake_case name (<c>WorstError</c> as <c>worst_error</c>), as problemtools spells grading modes.</summary>
public sealed class SnakeCaseEnumConverter<TEnum>()
    : ValueConverter<TEnum, string>(value => StoredName.Of(value, StoredName.Snake), text => StoredName.Parse<TEnum>(text, StoredName.Snake))
    where TEnum : struct, Enum;

public static class StoredName
{
    public const char Kebab = '-';
    public const char Snake = '_';

    public static string Of<TEnum>(TEnum value, char separator = Kebab) where TEnum : struct, Enum => Names<TEnum>.For(separator).ByValue[value];

    public static TEnum Parse<TEnum>(string text, char separator = Kebab) where TEnum : struct, Enum =>
        TryParse<TEnum>(text, out var value, separator)
            ? value
            : throw new InvalidOperationException($"'{text}' is not a stored {typeof(TEnum).Name} (known: {string.Join(", ", All<TEnum>(separator))}).");

    public static bool TryParse<TEnum>(string? text, out TEnum value, char separator = Kebab) where TEnum : struct, Enum =>
        Names<TEnum>.For(separator).ByName.TryGetValue(text ?? "", out value);

    public static IEnumerable<string> All<TEnum>(char separator = Kebab) where TEnum : struct, Enum => Names<TEnum>.For(separator).ByName.Keys;

    private sealed class Names<TEnum> where TEnum : struct, Enum
    {
        private static readonly Names<TEnum> KebabNames = new(Kebab);
        private static readonly Names<TEnum> SnakeNames = new(Snake);

        private Names(char separator)
        {
            ByValue = Enum.GetValues<TEnum>().ToDictionary(v => v, v => Separated(v.ToString(), separator));
            ByName = ByValue.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        }

        public Dictionary<TEnum, string> ByValue { get; }

        public Dictionary<string, TEnum> ByName { get; }

        public static Names<TEnum> For(char separator) => separator == Snake ? SnakeNames : KebabNames;
    }

    private static string Separated(string name, char separator) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? separator.ToString() : "") + char.ToLowerInvariant(c) : c.ToString()));
}
