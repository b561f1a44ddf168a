namespace Judge.Sandbox.Processes;

/// <summary>Serialises work across the processes of one host that share a cache (several workers, parallel test runs).</summary>
internal static class CrossProcessLock
{
    /// <summary>Holds the lock file exclusively (an flock on Linux) until the returned stream is disposed.</summary>
    public static async Task<FileStream> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
