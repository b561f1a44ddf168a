using System.Diagnostics;
using Judge.Grading.Languages;

namespace Judge.Grading.Tests.Languages;

public sealed class OneShotCommandsTests
{
    [Fact]
    public void Without_client_arguments_the_commands_are_the_languages_own()
    {
        Assert.Same(LanguageRegistry.C.CompileCommand, OneShotCommands.Compile(LanguageRegistry.C, OneShotArgs.None));
        Assert.Same(LanguageRegistry.C.RunCommand, OneShotCommands.Run(LanguageRegistry.C.RunCommand, OneShotArgs.None));
    }

    [Fact]
    public void Compile_arguments_replace_the_compilers_options_and_link_arguments_follow_the_sources()
    {
        var compile = OneShotCommands.Compile(LanguageRegistry.C, new OneShotArgs(Compile: "-Wall -Werror -std=c99 -x c", Link: "-lm -lrt"));

        // Plain words need no shell to split them.
        Assert.Equal(["gcc", "-Wall", "-Werror", "-std=c99", "-x", "c", .. LanguageRegistry.C.CompileCommand!.Skip(4), "-lm", "-lrt"], compile);
    }

    [Fact]
    public void Client_text_with_anything_a_shell_reads_goes_to_a_shell_with_the_languages_words_quoted()
    {
        var compile = OneShotCommands.Compile(LanguageRegistry.C, new OneShotArgs(Compile: "-DNAME='\"x y\"'"));

        Assert.Equal("sh", compile![0]);
        Assert.Equal($"exec 'gcc' -DNAME='\"x y\"' {string.Join(' ', LanguageRegistry.C.CompileCommand!.Skip(4).Select(OneShotCommands.Quote))}", compile[2]);
    }

    [Fact]
    public void A_syntax_check_can_be_left_out_but_a_real_compile_cannot()
    {
        Assert.Null(OneShotCommands.Compile(LanguageRegistry.Python, OneShotArgs.None, syntaxCheck: false));
        Assert.Null(OneShotCommands.Compile(LanguageRegistry.JavaScript, OneShotArgs.None, syntaxCheck: false));
        Assert.NotNull(OneShotCommands.Compile(LanguageRegistry.C, OneShotArgs.None, syntaxCheck: false));
        Assert.NotNull(OneShotCommands.Compile(LanguageRegistry.Python, OneShotArgs.None));
    }

    [Fact]
    public void Empty_client_text_adds_no_word_but_still_replaces_the_options()
    {
        var compile = OneShotCommands.Compile(LanguageRegistry.Cpp, new OneShotArgs(Compile: " "));

        Assert.Equal(["g++", .. LanguageRegistry.Cpp.CompileCommand!.Skip(4)], compile);
    }

    /// <summary>The shell, not this test, says what the words are: the program prints one line per argument it was given.</summary>
    [Theory]
    [InlineData(null, "Arg1 Arg2", new[] { "it's", "Arg1", "Arg2" })]
    [InlineData(null, "'Arg1 Arg2'", new[] { "it's", "Arg1 Arg2" })]
    [InlineData("-c \"print(\\\"Blah\\\")\"", null, new[] { "-c", "print(\"Blah\")", "it's" })]
    [InlineData("'a b'", "\"c  d\" $HOME", new[] { "a b", "it's", "c  d", "/tmp" })]
    public async Task Client_text_is_split_as_a_shell_splits_it_and_the_languages_words_stay_whole(string? interpreter, string? run, string[] expected)
    {
        var program = Path.Combine(Path.GetTempPath(), $"print-arguments-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(program, "#!/bin/sh\nfor a do printf '%s\\n' \"$a\"; done\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var command = OneShotCommands.Run([program, "it's"], new OneShotArgs(Interpreter: interpreter, Run: run));

            var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, Environment = { ["HOME"] = "/tmp" } };
            foreach (var argument in command.Skip(1))
            {
                start.ArgumentList.Add(argument);
            }

            using var shell = Process.Start(start)!;
            var output = await shell.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await shell.WaitForExitAsync(TestContext.Current.CancellationToken);

            Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(program);
        }
    }
}
