using Judge.Grading.Languages;
using Judge.Grading.Runs;

namespace Judge.Grading.Tests.Languages;

/// <summary>Unit tests: run commands under limits.</summary>
public sealed class LanguageRegistryTests
{
    [Fact]
    public void Java_is_told_the_memory_limit_so_its_heap_fits_inside_it()
    {
        var command = LanguageRegistry.Java.RunCommandFor(new ResourceLimits { MemoryBytes = 256L * 1024 * 1024 });

        Assert.Contains("-XX:MaxRAM=268435456", command);
        Assert.Contains("-XX:MaxRAMPercentage=75", command);
    }

    [Fact]
    public void Without_a_memory_limit_the_argument_that_would_carry_it_is_left_out()
    {
        var command = LanguageRegistry.Java.RunCommandFor(new ResourceLimits());

        Assert.DoesNotContain(command, a => a.Contains("MaxRAM=", StringComparison.Ordinal) || a.Contains('{', StringComparison.Ordinal));
        Assert.Equal("Main", command[^1]);
    }

    [Fact]
    public void Commands_without_the_placeholder_are_unchanged()
    {
        Assert.Equal(LanguageRegistry.Python.RunCommand, LanguageRegistry.Python.RunCommandFor(new ResourceLimits { MemoryBytes = 1 << 20 }));
    }
}
