using System.Globalization;
using System.Numerics;
using System.Text;

namespace Judge.Grading.Checkers;

/// <summary>
/// The output validator flags of the Kattis default validator (problem.yaml <c>validator_flags</c>, or
/// <c>output_validator_flags</c> in testdata.yaml).
/// </summary>
public sealed record DefaultValidatorFlags(bool CaseSensitive, bool SpaceChangeSensitive, double AbsoluteTolerance, double RelativeTolerance)
{
    public static DefaultValidatorFlags None { get; } = new(false, false, -1, -1);

    public bool UseFloats => AbsoluteTolerance >= 0 || RelativeTolerance >= 0;

    /// <summary>Parses flags as problemtools does: unknown flags, and tolerances that are not finite floats, are errors.</summary>
    public static DefaultValidatorFlags Parse(string? flags) =>
        TryParse(flags, out var parsed, out var error) ? parsed : throw new FormatException(error);

    public static bool TryParse(string? flags, out DefaultValidatorFlags parsed, out string error)
    {
        var words = (flags ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        bool caseSensitive = false, spaceSensitive = false;
        double absolute = -1, relative = -1;
        parsed = None;
        error = "";
        for (var i = 0; i < words.Length; i++)
        {
            switch (words[i])
            {
                case "case_sensitive":
                    caseSensitive = true;
                    break;
                case "space_change_sensitive":
                    spaceSensitive = true;
                    break;
                case "float_absolute_tolerance" or "float_relative_tolerance" or "float_tolerance":
                    if (i + 1 == words.Length || !CFloat.TryParse(Encoding.ASCII.GetBytes(words[i + 1]), out var value))
                    {
                        error = $"Validator flag '{words[i]}' needs a finite number after it.";
                        return false;
                    }

                    if (words[i] != "float_relative_tolerance")
                    {
                        absolute = value;
                    }

                    if (words[i] != "float_absolute_tolerance")
                    {
                        relative = value;
                    }

                    i++;
                    break;
                default:
                    error = $"Unknown validator flag '{words[i]}'. Known: case_sensitive, space_change_sensitive, " +
                        "float_tolerance X, float_absolute_tolerance X, float_relative_tolerance X.";
                    return false;
            }
        }

        parsed = new DefaultValidatorFlags(caseSensitive, spaceSensitive, absolute, relative);
        return true;
    }
}

/// <summary>
/// A port of problemtools' default output validator (support/default_validator/default_validator.cc): the
/// same token and whitespace rules, float parsing (a token is a float when C's strtod takes all of it and
/// the value is finite, so hex floats count and inf/nan do not), tolerances, and messages as it prints them today,
/// long tokens shortened as it shortens them (30 bytes, or 15 of the common prefix and 15 from the first difference,
/// never cutting a UTF-8 character). Deliberate differences: tokens are compared as whole byte strings, where the
/// original's strcmp stops at a NUL byte; and a message is text, so bytes that are not UTF-8 show as U+FFFD.
/// </summary>
public static class DefaultValidator
{
    private const int Shown = 30;
    private const int ShownOfPair = 15;

    public static CheckResult Check(ReadOnlySpan<byte> output, ReadOnlySpan<byte> answer, DefaultValidatorFlags flags)
    {
        int jpos = 0, tpos = 0, jline = 1, tline = 1;
        for (var token = 0; ; token++)
        {
            while (jpos < answer.Length && IsSpace(answer[jpos]))
            {
                var c = answer[jpos];
                if (flags.SpaceChangeSensitive)
                {
                    var d = tpos < output.Length ? output[tpos] : -1;
                    if (c != d)
                    {
                        return Wrong(tline, jline, $"Space change error: got {d} expected {c}");
                    }

                    if (d == '\n')
                    {
                        tline++;
                    }

                    tpos++;
                }

                if (c == '\n')
                {
                    jline++;
                }

                jpos++;
            }

            while (tpos < output.Length && IsSpace(output[tpos]))
            {
                if (flags.SpaceChangeSensitive)
                {
                    return Wrong(tline, jline, $"Space change error: judge out of space, got {output[tpos]} from user");
                }

                if (output[tpos] == '\n')
                {
                    tline++;
                }

                tpos++;
            }

            var judge = Token(answer, jpos);
            if (judge.IsEmpty)
            {
                break;
            }

            var team = Token(output, tpos);
            if (team.IsEmpty)
            {
                var why = token > 0 ? "" : tpos == 0 ? "; user output was empty." : "; user output contained only whitespace.";
                return Wrong(tline, jline, $"User EOF while judge had more output{why}\n(Next judge token: {Show(judge)})");
            }

            if (flags.UseFloats && CFloat.TryParse(judge, out var jval))
            {
                if (!CFloat.TryParse(team, out var tval))
                {
                    return Wrong(tline, jline, $"Expected float, got: {Show(team)}");
                }

                var difference = Math.Abs(jval - tval);
                if (!(difference <= flags.AbsoluteTolerance) && !(difference <= flags.RelativeTolerance * Math.Abs(jval)))
                {
                    var relative = jval == 0
                        ? $"undefined, judge value is 0 (rel tolerance {C(flags.RelativeTolerance)})"
                        : $"{C(difference / Math.Abs(jval))} (rel tolerance {C(flags.RelativeTolerance)})";
                    return Wrong(tline, jline,
                        $"Too large difference.\n Judge: {Show(judge)}\n User:  {Show(team)}\n Absolute error: {C(difference)} (abs tolerance {C(flags.AbsoluteTolerance)})\n Relative error: {relative}");
                }
            }
            else if (flags.CaseSensitive ? !judge.SequenceEqual(team) : !EqualIgnoringAsciiCase(judge, team))
            {
                var (shownJudge, shownTeam) = ShowPair(judge, team);
                return Wrong(tline, jline, $"String tokens mismatch\nJudge: \"{shownJudge}\"\nUser: \"{shownTeam}\"");
            }

            jpos += judge.Length;
            tpos += team.Length;
        }

        while (tpos < output.Length && IsSpace(output[tpos]))
        {
            tpos++;
        }

        return tpos < output.Length
            ? Wrong(tline, jline, $"Trailing output:\n{Show(Token(output, tpos))}")
            : CheckResult.Accept;
    }

    /// <summary>C's isspace in the "C" locale.</summary>
    private static bool IsSpace(int c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    private static ReadOnlySpan<byte> Token(ReadOnlySpan<byte> text, int start)
    {
        var end = start;
        while (end < text.Length && !IsSpace(text[end]))
        {
            end++;
        }

        return text[start..end];
    }

    private static bool EqualIgnoringAsciiCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (Lower(a[i]) != Lower(b[i]))
            {
                return false;
            }
        }

        return true;

        static int Lower(byte c) => c is >= (byte)'A' and <= (byte)'Z' ? c + 32 : c;
    }

    private static CheckResult Wrong(int outputLine, int answerLine, string message) =>
        CheckResult.Reject($"Wrong answer on line {outputLine} of output (corresponding to line {answerLine} in answer file)\n{message}");

    private static string Show(ReadOnlySpan<byte> token, int limit = Shown) => Encoding.UTF8.GetString(Shorten(token, limit));

    /// <summary>
    /// The token, or when it is more than 5 bytes over <paramref name="limit"/>, its first <paramref name="limit"/> bytes and
    /// "...": cut after the character the limit falls in (at most 3 more bytes), not through it.
    /// </summary>
    private static byte[] Shorten(ReadOnlySpan<byte> token, int limit)
    {
        if (token.Length <= limit + 5)
        {
            return token.ToArray();
        }

        var cut = limit;
        while (cut < token.Length && cut < limit + 4 && (token[cut] & 0xC0) == 0x80)
        {
            cut++; // a continuation byte: the character goes on
        }

        return [.. token[..cut], .. "..."u8];
    }

    /// <summary>Two mismatched tokens as shown: the start of what they have in common, then each one from where they differ.</summary>
    private static (string Judge, string Team) ShowPair(ReadOnlySpan<byte> judge, ReadOnlySpan<byte> team)
    {
        var common = judge.CommonPrefixLength(team);
        var prefix = Shorten(judge[..common], ShownOfPair);
        return (Encoding.UTF8.GetString([.. prefix, .. Shorten(judge[common..], ShownOfPair)]),
            Encoding.UTF8.GetString([.. prefix, .. Shorten(team[common..], ShownOfPair)]));
    }

    /// <summary>A number as C's printf %e prints it (1.000000e+00; inf, nan).</summary>
    private static string C(double value) =>
        double.IsNaN(value) ? "nan"
        : double.IsInfinity(value) ? (value > 0 ? "inf" : "-inf")
        : value.ToString("0.000000e+00", CultureInfo.InvariantCulture);
}

/// <summary>What C's <c>sscanf("%lf%10s")</c> in problemtools accepts as a float: all of the token, finite.</summary>
public static class CFloat
{
    public static bool TryParse(ReadOnlySpan<byte> token, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (i < token.Length && token[i] is (byte)'+' or (byte)'-')
        {
            negative = token[i] == '-';
            i++;
        }

        var body = token[i..];
        double parsed;
        if (body.Length >= 2 && body[0] == '0' && body[1] is (byte)'x' or (byte)'X')
        {
            if (!TryParseHex(body[2..], out parsed))
            {
                return false;
            }
        }
        else if (!IsDecimal(body) || !double.TryParse(Encoding.ASCII.GetString(body), NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                     CultureInfo.InvariantCulture, out parsed))
        {
            // inf, infinity and nan parse in C too, but problemtools rejects them as not finite.
            return false;
        }

        if (!double.IsFinite(parsed))
        {
            return false;
        }

        value = negative ? -parsed : parsed;
        return true;
    }

    /// <summary>digits[.digits] | .digits, then an optional exponent with at least one digit.</summary>
    private static bool IsDecimal(ReadOnlySpan<byte> s)
    {
        var i = 0;
        var mantissaDigits = 0;
        while (i < s.Length && char.IsAsciiDigit((char)s[i]))
        {
            i++;
            mantissaDigits++;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit((char)s[i]))
            {
                i++;
                mantissaDigits++;
            }
        }

        if (mantissaDigits == 0)
        {
            return false;
        }

        if (i < s.Length && s[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            var exponentDigits = 0;
            while (i < s.Length && char.IsAsciiDigit((char)s[i]))
            {
                i++;
                exponentDigits++;
            }

            if (exponentDigits == 0)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    /// <summary>The C99 hexadecimal float form after "0x": hexdigits[.hexdigits] | .hexdigits, then optional p[+-]digits.</summary>
    private static bool TryParseHex(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        BigInteger mantissa = 0;
        var i = 0;
        var digits = 0;
        var fractionDigits = 0;
        var seenPoint = false;
        for (; i < s.Length; i++)
        {
            if (s[i] == '.' && !seenPoint)
            {
                seenPoint = true;
                continue;
            }

            var digit = HexValue(s[i]);
            if (digit < 0)
            {
                break;
            }

            mantissa = mantissa * 16 + digit;
            digits++;
            if (seenPoint)
            {
                fractionDigits++;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        long exponent = 0;
        if (i < s.Length && s[i] is (byte)'p' or (byte)'P')
        {
            i++;
            var negative = false;
            if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
            {
                negative = s[i] == '-';
                i++;
            }

            var exponentDigits = 0;
            for (; i < s.Length && char.IsAsciiDigit((char)s[i]); i++)
            {
                exponent = Math.Min(exponent * 10 + (s[i] - '0'), 100_000);
                exponentDigits++;
            }

            if (exponentDigits == 0)
            {
                return false;
            }

            exponent = negative ? -exponent : exponent;
        }

        if (i != s.Length)
        {
            return false;
        }

        var scale = exponent - 4L * fractionDigits;
        var excess = (long)mantissa.GetBitLength() - 64;
        if (excess > 0)
        {
            // Keep the leading 64 bits so the conversion to double cannot overflow before scaling.
            mantissa >>= (int)excess;
            scale += excess;
        }

        value = mantissa.IsZero ? 0 : Math.ScaleB((double)mantissa, (int)Math.Clamp(scale, -100_000, 100_000));
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
