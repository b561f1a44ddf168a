using Judge.Grading.Languages;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>Integration tests: every language compiles and runs in a real VM.</summary>
public abstract class LanguageTests(SandboxFixture fixture)
{
    public static TheoryData<string> Languages => [.. LanguageRegistry.All.Select(l => l.Id)];

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Hello_world_runs_and_reports_the_isolation(string language)
    {
        var result = await fixture.RunAsync(language, LanguageRegistry.Get(language).HelloWorld);

        Assert.False(result.CompilationFailed, result.Compile?.StderrText);
        Assert.NotNull(result.Run);
        Assert.Equal(0, result.Run.ExitCode);
        Assert.Equal("Hello, World!\n", result.Run.StdoutText);
        Assert.Equal(fixture.Sandbox.Isolation.Isolation, result.Isolation);
        Assert.True(result.Run.WallMs > 0);
        Assert.True(result.Timings.TotalMs >= result.Timings.ExecuteMs);
    }

    [Fact]
    public async Task A_compile_error_reports_the_compiler_output_and_skips_the_run()
    {
        var result = await fixture.RunAsync("c", "int main(void) { return 0 }");

        Assert.True(result.CompilationFailed);
        Assert.Null(result.Run);
        Assert.Contains("main.c:1:", result.Compile!.StderrText, StringComparison.Ordinal);
        Assert.Contains("error: expected", result.Compile.StderrText, StringComparison.Ordinal);
    }
}

[Collection(VmSandbox.Name)]
public sealed class LanguageTestsInVms(VmSandboxFixture fixture) : LanguageTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class LanguageTestsInNamespaces(NamespaceSandboxFixture fixture) : LanguageTests(fixture);
