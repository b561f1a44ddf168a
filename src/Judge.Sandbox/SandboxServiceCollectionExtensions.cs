using Judge.Sandbox.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Judge.Sandbox;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>Registers the sandbox (section "Sandbox") and starts and stops it with the host.</summary>
    public static IServiceCollection AddSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SandboxOptions>(configuration.GetSection(SandboxOptions.SectionName));
        services.AddSingleton<SandboxRunner>();
        services.AddHostedService<SandboxHostedService>();
        return services;
    }

    private sealed class SandboxHostedService(SandboxRunner sandbox) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => sandbox.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => sandbox.StopAsync();
    }
}
