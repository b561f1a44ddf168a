using System.Text;
using Judge.Grading.Checkers;

namespace Judge.Grading.Tests;

/// <summary>
/// The default output validator against problemtools' behaviour (support/default_validator/default_validator.cc).
/// Most cases are BAPCtools' table of default-validator cases; where BAPCtools' own validator differs
/// from problemtools, the expectation follows problemtools and says why.
/// </summary>
public sealed class DefaultValidatorTests
{
    public static TheoryData<string, string, string, bool> Cases => new()
    {
        // Space lenient, empty answer.
        { "", "", " ", true }, { "", "", "  ", true }, { "", "", " \n", true }, { "", "", "\n", true }, { "", "", "\t", true },
        { "", "", " \t\n\t\n \t", true }, { "", "", "\\n", false }, { "", "", "|", false }, { "", "", ".", false }, { "", "", "a", false },
        { "", "", "0", false }, { "", "", " 0", false }, { "", "", " 0 ", false }, { "", "", "0 ", false }, { "", "", "\0", false },
        // Space lenient.
        { "", "A B", "A B", true }, { "", "A B", " A  B \t\n", true }, { "", "A B", " A B", true }, { "", "A B", "A B ", true },
        { "", "A B", "A B X", false }, { "", "A B", "X A B", false }, { "", "A B", "A B\nX", false }, { "", "A B", "A B\n\n\n\n\n \n\n X", false },
        // Space strict: every whitespace character must match, the trailing newline included.
        { "space_change_sensitive", "", "", true }, { "space_change_sensitive", "", " ", false }, { "space_change_sensitive", "", "\n", false },
        { "space_change_sensitive", "", "\t", false }, { "space_change_sensitive", "", "1.1", false },
        { "space_change_sensitive", "A B\n", "A B\n", true }, { "space_change_sensitive", "A B\n", "A  B\n", false },
        { "space_change_sensitive", "A B\n", "A B", false }, { "space_change_sensitive", "A B\n", "A B\n\n", false },
        { "space_change_sensitive", "A B\n", "A\tB\n", false }, { "space_change_sensitive", "A B\n", "a b\n", true },
        // Case lenient (the default).
        { "", "A B", "a b", true }, { "", "A B", "a\n B", true }, { "", "A B", "A B\n", true }, { "", "A B", "A C", false },
        { "", "A B", "A BB", false }, { "", "A B", "B A", false }, { "", "A B", "1 2", false },
        // Case sensitive.
        { "case_sensitive", "A B", "A B", true }, { "case_sensitive", "A B", "A\n B", true }, { "case_sensitive", "A B", "a b", false },
        { "case_sensitive", "A B", " A b", false },
        // Float absolute.
        { "float_absolute_tolerance 1 case_sensitive", "10 11", "10.1 11.9", true }, { "float_absolute_tolerance 1 case_sensitive", "10 11", "9 10", true },
        { "float_absolute_tolerance 1 case_sensitive", "10 11", "11 12", true }, { "float_absolute_tolerance 1 case_sensitive", "10 11", "1e1 1.1e1", true },
        { "float_absolute_tolerance 1 case_sensitive", "10 11", "1E1 1.1E1", true },
        { "float_absolute_tolerance 1 case_sensitive", "10 11", "10 9.99999999", false },
        { "float_absolute_tolerance 1 case_sensitive", "10 11", "11.000000001 11", false },
        // Float relative.
        { "float_relative_tolerance 0.5", "10 20", "5 10", true }, { "float_relative_tolerance 0.5", "10 20", "15 30", true },
        { "float_relative_tolerance 0.5", "10 20", "4.999 20", false }, { "float_relative_tolerance 0.5", "10 20", "15.0001 20", false },
        { "float_relative_tolerance 0.5", "10 20", "10 30.00001", false }, { "float_relative_tolerance 0.5", "10 20", "10 asdf", false },
        // Both tolerances: either one suffices.
        { "float_tolerance 0.5", "1000 0.001", "500 -0.499", true }, { "float_tolerance 0.5", "1000 0.001", "1500 0.501", true },
        { "float_tolerance 0.5", "1000 0.001", "999.5 0.0005", true }, { "float_tolerance 0.5", "1000 0.001", "1000.5 0.0015", true },
        { "float_tolerance 0.5", "1000 0.001", "1000 0.001 X", false }, { "float_tolerance 0.5", "1000 0.001", "499 -0.499", false },
        { "float_tolerance 0.5", "1000 0.001", "500 -0.500", false }, { "float_tolerance 0.5", "1000 0.001", "1500 0.5010001", false },
        { "float_tolerance 0.5", "1000 0.001", "A", false },
        // Mixed tokens: a token that is not wholly a float is compared as a string.
        { "float_tolerance 0.5", "A 1000", " a 999", true }, { "float_tolerance 0.5", "A 1000", " a 999a", false },
        { "float_tolerance 0.5", "1000A", "1000a", true }, { "float_tolerance 0.5", "1000A", "1000.0a", false },
        { "float_tolerance 0.5", "X1000", "x1000", true }, { "float_tolerance 0.5", "X1000", "x1000.0", false },
        // An answer that is a float needs a finite float: inf and nan are not floats.
        { "float_tolerance 0.5", "0", "-0.5", true }, { "float_tolerance 0.5", "0", "0.00", true }, { "float_tolerance 0.5", "0", "inf", false },
        { "float_tolerance 0.5", "0", "-inf", false }, { "float_tolerance 0.5", "0", "nan", false },
        { "float_tolerance 0.5", "-1", "-1.5", true }, { "float_tolerance 0.5", "-1", "0.5", false },
        // An answer of inf or nan is not a float, so it is compared as a string (case-insensitively by default).
        // BAPCtools accepts INF for inf even with case_sensitive; problemtools compares "inf" with strcmp.
        { "float_tolerance 0.5", "inf", "INF", true }, { "float_tolerance 0.5 case_sensitive", "inf", "inf", true },
        { "float_tolerance 0.5 case_sensitive", "inf", "INF", false }, { "float_tolerance 0.5", "inf", "1e999", false },
        { "float_tolerance 0.5", "nan", "NaN", true }, { "float_tolerance 0.5", "nan", "-nan", false },
        // Without float flags, numbers are strings.
        { "", "0", "0", true }, { "", "0", "-0", false }, { "", "0", "0.0", false },
        // float_tolerance 0: only exact values. BAPCtools accepts 1e-36 here; problemtools' |0 - 1e-36| <= 0 is false.
        { "float_tolerance 0", "0", "-0", true }, { "float_tolerance 0", "0", "0.0", true },
        { "float_tolerance 0", "0", "0.000000000000000000000000000000000001", false },
        // Exponents and C's float syntax (strtod): hex floats count, a dangling exponent does not.
        { "float_tolerance 1e-9", "16", "0x10", true }, { "float_tolerance 1e-9", "2.5", "0x1.4p1", true },
        { "float_tolerance 1e-9", "1", "1e", false }, { "float_tolerance 1e-9", "1", "1.", true }, { "float_tolerance 1e-9", "0.5", ".5", true },
        { "float_tolerance 1e-9", "0.5", "+.5e0", true }, { "float_tolerance 1e-9", "1e-300", "1e-301", true },
        // Empty output.
        { "", "42", "", false }, { "", "", "", true },
        // NUL bytes: tokens are compared whole. (problemtools' strcmp would stop at the NUL and accept "a\0".)
        { "", "a", "a\0", false }, { "", "a", "a\0a", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Judges_like_problemtools(string flags, string answer, string output, bool accepted)
    {
        var result = Check(output, answer, flags);

        Assert.True(result.Accepted == accepted, $"flags '{flags}', answer '{answer}', output '{output}': {result.Message}");
    }

    [Fact]
    public void A_wrong_token_is_reported_with_both_lines_and_both_tokens()
    {
        var result = Check("1\n2\n4\n", "1\n2\n3\n", "");

        Assert.Equal("Wrong answer on line 3 of output (corresponding to line 3 in answer file)\nString tokens mismatch\nJudge: \"3\"\nUser: \"4\"", result.Message);
    }

    [Fact]
    public void Missing_and_trailing_output_are_named()
    {
        Assert.EndsWith("User EOF while judge had more output\n(Next judge token: 3)", Check("1 2", "1 2 3", "").Message, StringComparison.Ordinal);
        Assert.EndsWith("Trailing output:\njunk", Check("1 2 3 junk", "1 2 3", "").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_space_change_error_names_the_characters_as_numbers()
    {
        Assert.EndsWith("Space change error: got 32 expected 10", Check("1 2", "1\n2", "space_change_sensitive").Message, StringComparison.Ordinal);
        Assert.EndsWith("Space change error: judge out of space, got 10 from user", Check("1\n", "1", "space_change_sensitive").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lenient", "Unknown validator flag 'lenient'")]
    [InlineData("float_tolerance", "needs a finite number")]
    [InlineData("float_tolerance abc", "needs a finite number")]
    [InlineData("float_relative_tolerance inf", "needs a finite number")]
    public void Bad_flags_are_refused_with_the_reason(string flags, string reason)
    {
        Assert.False(DefaultValidatorFlags.TryParse(flags, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_set_tolerances_like_problemtools()
    {
        Assert.Equal(new DefaultValidatorFlags(false, false, 1e-6, 1e-6), DefaultValidatorFlags.Parse("float_tolerance 1e-6"));
        Assert.Equal(new DefaultValidatorFlags(true, true, 0.5, -1), DefaultValidatorFlags.Parse("case_sensitive float_absolute_tolerance 0x1p-1 space_change_sensitive"));
        Assert.False(DefaultValidatorFlags.Parse("").UseFloats);
    }

    private static CheckResult Check(string output, string answer, string flags) =>
        DefaultValidator.Check(Encoding.UTF8.GetBytes(output), Encoding.UTF8.GetBytes(answer), DefaultValidatorFlags.Parse(flags));
}
