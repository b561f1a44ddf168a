using Judge.Sandbox.Running;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>
/// One real sandbox for the whole test collection: accelerator detection, the memory snapshot and the warm
/// pools are paid once. A missing guest image fails the tests (it is built by deploy/test.sh), never skips them.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public const int PoolSize = 1;

    private readonly ILoggerFactory _loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

    public SandboxRunner Sandbox { get; private set; } = null!;

    public SandboxOptions Options { get; } = new()
    {
        MaxConcurrentVms = 6,
        WarmPoolSize = PoolSize,
        WarmLanguages = { "python", "c", "cpp", "javascript", "java", "shell" },
        // The tests run health passes themselves.
        HealthCheckInterval = TimeSpan.FromHours(1),
        // Short, so the test of a silent agent does not wait long; still ample for a reply under TCG.
        AgentReplyMargin = TimeSpan.FromSeconds(10),
    };

    public async ValueTask InitializeAsync()
    {
        Sandbox = new SandboxRunner(Microsoft.Extensions.Options.Options.Create(Options), _loggerFactory);
        await Sandbox.StartAsync(CancellationToken.None);
        await Sandbox.WhenWarmAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Sandbox.DisposeAsync();
        _loggerFactory.Dispose();
    }

    /// <summary>Compiles (if needed) and runs <paramref name="source"/> once in a fresh VM.</summary>
    public Task<SandboxRunResult> RunAsync(string language, string source, ResourceLimits? limits = null, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Sandbox.RunAsync(new SandboxRunRequest(language)
        {
            Source = source,
            Limits = limits ?? SandboxRunRequest.DefaultLimits,
            Stdin = stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(stdin),
            Environment = environment,
        }, TestContext.Current.CancellationToken);
}

[CollectionDefinition(Name)]
public sealed class RealVms : ICollectionFixture<SandboxFixture>
{
    public const string Name = "Real VM sandbox";
}
