using System.Text;

namespace Judge.Grading.Languages;

/// <summary>
/// What a one-shot run's client adds to the language's commands, each as shell text, as Jobe and Judge0 take them (both hand
/// the command to a shell: Jobe joins its argument lists with spaces, Judge0 substitutes its strings): <see cref="Compile"/>
/// in place of the compiler's options, <see cref="Link"/> after the sources, <see cref="Interpreter"/> after the interpreter
/// (or the program), <see cref="Run"/> after everything. Null leaves the language's own.
/// </summary>
public sealed record OneShotArgs(string? Compile = null, string? Link = null, string? Interpreter = null, string? Run = null)
{
    public static OneShotArgs None { get; } = new();
}

/// <summary>
/// The compile and run commands of a one-shot run. Without client arguments they are the language's own argv; with them, the
/// same words quoted for <c>sh -c</c> with the client's text spliced in, so that the client's quoting and words mean what they
/// do on Jobe or Judge0. The shell runs in the sandbox, as the program does: the text can do there what the program can.
/// </summary>
public static class OneShotCommands
{
    /// <summary>Null when the language has no compile step, or has only a syntax check and <paramref name="syntaxCheck"/> is off.</summary>
    public static IReadOnlyList<string>? Compile(Language language, OneShotArgs args, bool syntaxCheck = true)
    {
        if (language.CompileCommand is not { } compile || (language.CompileOnlyChecks && !syntaxCheck))
        {
            return null;
        }

        if (args.Compile is null && args.Link is null)
        {
            return compile;
        }

        var (at, count) = language.CompileOptions;
        var words = new List<Word>();
        words.AddRange(compile.Take(at).Select(Word.Fixed));
        words.AddRange(args.Compile is null ? compile.Skip(at).Take(count).Select(Word.Fixed) : [Word.Raw(args.Compile)]);
        words.AddRange(compile.Skip(at + count).Select(Word.Fixed));
        if (args.Link is not null)
        {
            words.Add(Word.Raw(args.Link));
        }

        return Shell(words);
    }

    /// <summary><paramref name="run"/>, the language's run command under the run's limits, with the client's arguments.</summary>
    public static IReadOnlyList<string> Run(IReadOnlyList<string> run, OneShotArgs args)
    {
        if (args.Interpreter is null && args.Run is null)
        {
            return run;
        }

        var words = new List<Word> { Word.Fixed(run[0]) };
        if (args.Interpreter is not null)
        {
            words.Add(Word.Raw(args.Interpreter));
        }

        words.AddRange(run.Skip(1).Select(Word.Fixed));
        if (args.Run is not null)
        {
            words.Add(Word.Raw(args.Run));
        }

        return Shell(words);
    }

    /// <summary><paramref name="word"/> as one word for a POSIX shell, whatever it holds.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The words as a command. Client text that a shell would only split at blanks (no quotes, no expansions, no operators:
    /// Jobe's default options are such) is split here, and the command runs without a shell; otherwise <c>sh -c</c> reads it,
    /// with <c>exec</c>, so that the program is the shell's process, not its child: its exit status and signal are the run's,
    /// and no shell stays behind it holding a process slot.
    /// </summary>
    private static string[] Shell(IReadOnlyList<Word> words)
    {
        if (words.All(w => !w.IsRaw || w.Text.All(IsPlain)))
        {
            return [.. words.SelectMany(w => w.IsRaw ? w.Text.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries) : [w.Text])];
        }

        var text = new StringBuilder("exec");
        foreach (var word in words.Where(w => !w.IsRaw || !string.IsNullOrWhiteSpace(w.Text)))
        {
            text.Append(' ').Append(word.IsRaw ? word.Text : Quote(word.Text));
        }

        return ["sh", "-c", text.ToString()];
    }

    /// <summary>A character a POSIX shell gives no meaning beyond itself (blanks only separate words).</summary>
    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is ' ' or '\t' or '\n' or '-' or '_' or '=' or '.' or ',' or '/' or ':' or '+' or '@' or '%';

    private readonly record struct Word(string Text, bool IsRaw)
    {
        public static Word Fixed(string text) => new(text, false);

        public static Word Raw(string text) => new(text, true);
    }
}
