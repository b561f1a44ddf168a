using System.Text;
using Judge.Grading.Checkers;

namespace Judge.Grading.Tests;

public sealed class TokenCheckerTests
{
    [Theory]
    [InlineData("42\n", "42\n")]
    [InlineData("42", "42\n")]
    [InlineData("  1   2\n3\r\n", "1 2 3")]
    [InlineData("YES", "yes")]
    [InlineData("", "")]
    [InlineData("\n\n", "")]
    public void Whitespace_and_case_differences_are_accepted_by_default(string output, string answer)
    {
        Assert.True(Check(new TokenChecker(), output, answer).Accepted);
    }

    [Fact]
    public void A_different_token_is_rejected_naming_its_position_and_both_values()
    {
        var result = Check(new TokenChecker(), "1 2 4\n", "1 2 3\n");

        Assert.False(result.Accepted);
        Assert.Equal("token 3 is '4', expected '3'", result.Message);
    }

    [Fact]
    public void Missing_output_is_rejected()
    {
        var result = Check(new TokenChecker(), "1 2", "1 2 3");

        Assert.False(result.Accepted);
        Assert.Equal("output ended at token 3; expected '3'", result.Message);
    }

    [Fact]
    public void Extra_output_is_rejected()
    {
        var result = Check(new TokenChecker(), "1 2 3 junk", "1 2 3");

        Assert.False(result.Accepted);
        Assert.Equal("unexpected output from token 4: 'junk'", result.Message);
    }

    [Fact]
    public void Empty_output_for_a_non_empty_answer_is_rejected()
    {
        Assert.False(Check(new TokenChecker(), "", "0").Accepted);
    }

    [Fact]
    public void The_case_sensitive_flag_makes_case_matter()
    {
        var checker = TokenChecker.FromFlags("case_sensitive");

        Assert.True(checker.CaseSensitive);
        Assert.False(Check(checker, "YES", "yes").Accepted);
        Assert.True(Check(checker, "yes", "yes").Accepted);
        Assert.False(TokenChecker.FromFlags("space_change_sensitive").CaseSensitive);
    }

    [Fact]
    public void A_long_token_is_shortened_in_the_message()
    {
        var result = Check(new TokenChecker(), new string('x', 100), "y");

        Assert.Contains("…", result.Message, StringComparison.Ordinal);
        Assert.True(result.Message.Length < 100);
    }

    private static CheckResult Check(TokenChecker checker, string output, string answer) =>
        checker.Check(Encoding.UTF8.GetBytes(output), Encoding.UTF8.GetBytes(answer));
}
