namespace Judge.Sandbox.Running;

/// <summary>Where sessions come from (the sandbox runner), for code that runs through a sandbox without owning it.</summary>
public interface ISessionSource
{
    /// <summary>A session on a fresh sandbox for <paramref name="language"/>, from the warm pool when it has one.</summary>
    Task<SandboxSession> OpenSessionAsync(string language, CancellationToken cancellationToken);

    /// <summary>Completes when the warm pools hold every sandbox they could start; useful before measuring.</summary>
    Task WhenWarmAsync();
}
