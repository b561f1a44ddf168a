namespace Judge.Grading.Runs;

public static class CompilerOutput
{
    private const int MaxChars = 64 * 1024;

    /// <summary>What a failed compile shows its submitter: the compiler's output, the limit that stopped it, at most 64 KiB.</summary>
    public static string Of(ProcessResult compile)
    {
        var text = (compile.StdoutText + compile.StderrText).Trim();
        if (compile.LimitExceeded != LimitExceeded.None)
        {
            text += $"\n(compilation stopped: {compile.LimitExceeded} limit)";
        }

        return text.Length > MaxChars ? text[..MaxChars] + "\n… (truncated)" : text;
    }
}
