namespace Judge.Grading.Runs;

/// <summary>What any run in a sandbox may use at most, whatever a problem asks for: the one definition of these caps.</summary>
public static class SandboxCaps
{
    /// <summary>What a judged program, compiler or validator may use inside the 1 GiB guest (its kernel and agent need the rest).</summary>
    public const long MemoryBytes = 768L << 20;

    /// <summary>The agent captures at most this much output for the default validator to read.</summary>
    public const long CapturedOutputBytes = 16L << 20;

    /// <summary>Processes and threads of one run: room for a compiler's pipeline or a JVM, not for a fork bomb.</summary>
    public const int Processes = 64;
}
