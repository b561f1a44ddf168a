using System.Text;
using Judge.Grading.Checkers;

namespace Judge.Grading.Tests;

/// <summary>
/// Unit tests: the default validator against the shape of problemtools' 24 golden cases (tests/default_validator_tests:
/// flags, answer, output, exit code 42 or 43, message), with cases written here. Messages are compared exactly, as
/// problemtools prints them today (its final newline aside); bytes that are not UTF-8 are U+FFFD in a message, which is text.
/// </summary>
public sealed class DefaultValidatorConformanceTests
{
    private const string Line1 = "Wrong answer on line 1 of output (corresponding to line 1 in answer file)\n";
    private static readonly string Rocket = char.ConvertFromUtf32(0x1F680);

    public static TheoryData<string, string, byte[], byte[], int, string?> Cases => new()
    {
        { "case_sensitive_ac", "case_sensitive", Text("Apple pie\n"), Text("Apple pie\n"), 42, null },
        { "case_sensitive_wa", "case_sensitive", Text("Apple\n"), Text("apple\n"), 43, Line1 + "String tokens mismatch\nJudge: \"Apple\"\nUser: \"apple\"" },
        { "combined_flags_ac", "case_sensitive space_change_sensitive float_tolerance 0.5", Text("Pi is 3.0"), Text("Pi is 3.4"), 42, null },
        {
            "combined_flags_wa", "case_sensitive space_change_sensitive float_tolerance 0.5", Text("Pi is 1.5"), Text("Pi is 3.0"), 43,
            Line1 + "Too large difference.\n Judge: 1.5\n User:  3.0\n Absolute error: 1.500000e+00 (abs tolerance 5.000000e-01)\n Relative error: 1.000000e+00 (rel tolerance 5.000000e-01)"
        },
        { "empty_wa", "", Text("Good morning\n"), Text(""), 43, Line1 + "User EOF while judge had more output; user output was empty.\n(Next judge token: Good)" },
        { "float_abs_tol_ac", "float_absolute_tolerance 0.5", Text("2\n"), Text("2.3\n"), 42, null },
        {
            "float_abs_tol_wa", "float_absolute_tolerance 0.1", Text("2\n"), Text("2.5\n"), 43,
            Line1 + "Too large difference.\n Judge: 2\n User:  2.5\n Absolute error: 5.000000e-01 (abs tolerance 1.000000e-01)\n Relative error: 2.500000e-01 (rel tolerance -1.000000e+00)"
        },
        { "float_inf_judge_wa", "float_tolerance 0.5", Text("inf\n"), Text("7\n"), 43, Line1 + "String tokens mismatch\nJudge: \"inf\"\nUser: \"7\"" },
        { "float_rel_tol_ac", "float_relative_tolerance 0.1", Text("200\n"), Text("210\n"), 42, null },
        {
            "float_rel_tol_wa", "float_relative_tolerance 0.01", Text("200\n"), Text("210\n"), 43,
            Line1 + "Too large difference.\n Judge: 200\n User:  210\n Absolute error: 1.000000e+01 (abs tolerance -1.000000e+00)\n Relative error: 5.000000e-02 (rel tolerance 1.000000e-02)"
        },
        {
            "float_rocket_wa", "float_absolute_tolerance 0.5", Text("1\n"), Text("2.5" + string.Concat(Enumerable.Repeat(Rocket, 40))), 43,
            Line1 + "Expected float, got: 2.5" + string.Concat(Enumerable.Repeat(Rocket, 7)) + "..."
        },
        { "float_tolerance_ac", "float_tolerance 0.5", Text("3\n"), Text("3.4\n"), 42, null },
        {
            "float_tolerance_wa", "float_tolerance 0.5", Text("3\n"), Text("4.6\n"), 43,
            Line1 + "Too large difference.\n Judge: 3\n User:  4.6\n Absolute error: 1.600000e+00 (abs tolerance 5.000000e-01)\n Relative error: 5.333333e-01 (rel tolerance 5.000000e-01)"
        },
        {
            "float_zero_judge_wa", "float_relative_tolerance 0.01", Text("0\n"), Text("0.5\n"), 43,
            Line1 + "Too large difference.\n Judge: 0\n User:  0.5\n Absolute error: 5.000000e-01 (abs tolerance -1.000000e+00)\n Relative error: undefined, judge value is 0 (rel tolerance 1.000000e-02)"
        },
        {
            // 25 bytes in common, then each token's own: 15 bytes of each shown, and the continuation bytes after, up to 19.
            "long_binary_wa", "", [.. Bytes(0x90, 50), (byte)'\n'], [.. Bytes(0x90, 25), .. Bytes(0x91, 25), (byte)'\n'], 43,
            Line1 + $"String tokens mismatch\nJudge: \"{Lost(19)}...{Lost(19)}...\"\nUser: \"{Lost(19)}...{Lost(19)}...\""
        },
        {
            "long_early_diff_wa", "case_sensitive", Text("bbbbbB" + new string('b', 54) + "\n"), Text("bbbbB" + new string('b', 55) + "\n"), 43,
            Line1 + "String tokens mismatch\nJudge: \"bbbbbBbbbbbbbbbbbbb...\"\nUser: \"bbbbBbbbbbbbbbbbbbb...\""
        },
        {
            "long_trailing_wa", "", Text("Good morning!\n"), Text("Good morning! trailingtextthatisutf8" + string.Concat(Enumerable.Repeat(Rocket, 20))), 43,
            "Wrong answer on line 1 of output (corresponding to line 2 in answer file)\nTrailing output:\ntrailingtextthatisutf8" + Rocket + Rocket + "..."
        },
        {
            "short_wa", "", Text("Good morning!\n"), Text("Good \n"), 43,
            "Wrong answer on line 2 of output (corresponding to line 1 in answer file)\nUser EOF while judge had more output\n(Next judge token: morning!)"
        },
        { "simple_ac", "", Text("good day\n"), Text("good day\n"), 42, null },
        { "simple_wa", "", Text("good day\n"), Text("good night\n"), 43, Line1 + "String tokens mismatch\nJudge: \"day\"\nUser: \"night\"" },
        { "space_sensitive_ac", "space_change_sensitive", Text("a b\nc\n"), Text("a b\nc\n"), 42, null },
        {
            "space_sensitive_wa", "space_change_sensitive", Text("one\n two\n"), Text("one\ntwo\n"), 43,
            "Wrong answer on line 2 of output (corresponding to line 2 in answer file)\nSpace change error: got 116 expected 32"
        },
        {
            "space_sensitive_wa2", "space_change_sensitive", Text("one\ntwo\n"), Text("one\n two\n"), 43,
            "Wrong answer on line 2 of output (corresponding to line 2 in answer file)\nSpace change error: judge out of space, got 32 from user"
        },
        {
            "space_wa", "", Text("Good morning!\n"), Text("  \n\t\n\n"), 43,
            "Wrong answer on line 4 of output (corresponding to line 1 in answer file)\nUser EOF while judge had more output; user output contained only whitespace.\n(Next judge token: Good)"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_case_gets_problemtools_exit_code_and_message(string name, string flags, byte[] answer, byte[] output, int exitCode, string? message)
    {
        var result = DefaultValidator.Check(output, answer, DefaultValidatorFlags.Parse(flags));

        Assert.True((exitCode == 42) == result.Accepted, $"{name}: {(result.Accepted ? "accepted" : result.Message)}");
        Assert.Equal(message, result.Accepted ? null : result.Message);
    }

    [Fact]
    public void There_are_problemtools_24_cases()
    {
        Assert.Equal(24, Cases.Count);
    }

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Bytes(byte value, int count) => Enumerable.Repeat(value, count).ToArray();

    private static string Lost(int bytes) => new('\uFFFD', bytes);
}
