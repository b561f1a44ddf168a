using System.Text;

namespace Judge.Grading.Checkers;

/// <summary>
/// The Kattis default output validator's token comparison: output and answer are split on whitespace
/// and compared token by token, case-insensitively unless <see cref="CaseSensitive"/>.
/// </summary>
public sealed class TokenChecker
{
    private const int MaxShownToken = 40;

    /// <summary>The Kattis validator_flags this checker implements.</summary>
    public static IReadOnlySet<string> SupportedFlags { get; } = new HashSet<string> { "case_sensitive" };

    public bool CaseSensitive { get; init; }

    public static IEnumerable<string> SplitFlags(string? flags) =>
        (flags ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    public static TokenChecker FromFlags(string flags) =>
        new() { CaseSensitive = SplitFlags(flags).Contains("case_sensitive") };

    public CheckResult Check(ReadOnlySpan<byte> output, ReadOnlySpan<byte> answer)
    {
        var got = new Tokens(output);
        var expected = new Tokens(answer);
        var index = 0;
        while (true)
        {
            index++;
            var hasExpected = expected.Next(out var want);
            var hasGot = got.Next(out var have);
            if (!hasExpected && !hasGot)
            {
                return CheckResult.Accept;
            }

            if (!hasGot)
            {
                return CheckResult.Reject($"output ended at token {index}; expected '{Show(want)}'");
            }

            if (!hasExpected)
            {
                return CheckResult.Reject($"unexpected output from token {index}: '{Show(have)}'");
            }

            if (!Equal(have, want))
            {
                return CheckResult.Reject($"token {index} is '{Show(have)}', expected '{Show(want)}'");
            }
        }
    }

    private bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (CaseSensitive || a.Length != b.Length)
        {
            return a.SequenceEqual(b);
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (ToLowerAscii(a[i]) != ToLowerAscii(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static byte ToLowerAscii(byte c) => c is >= (byte)'A' and <= (byte)'Z' ? (byte)(c + 32) : c;

    private static string Show(ReadOnlySpan<byte> token)
    {
        var text = Encoding.UTF8.GetString(token.Length > MaxShownToken ? token[..MaxShownToken] : token);
        return token.Length > MaxShownToken ? text + "…" : text;
    }

    /// <summary>Walks whitespace-separated tokens without allocating.</summary>
    private ref struct Tokens(ReadOnlySpan<byte> text)
    {
        private ReadOnlySpan<byte> _rest = text;

        public bool Next(out ReadOnlySpan<byte> token)
        {
            var start = 0;
            while (start < _rest.Length && IsSpace(_rest[start]))
            {
                start++;
            }

            var end = start;
            while (end < _rest.Length && !IsSpace(_rest[end]))
            {
                end++;
            }

            token = _rest[start..end];
            _rest = _rest[end..];
            return end > start;
        }

        private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'\v' or (byte)'\f';
    }
}
