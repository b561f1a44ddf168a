using Npgsql;

namespace Judge.Api.Notifications;

/// <summary>Told of the ids announced on one PostgreSQL channel.</summary>
public interface IChannelSubscriber
{
    string Channel { get; }

    void Announced(Guid id);

    /// <summary>The listener (re)connected: whatever was announced while it was down is lost, so look again.</summary>
    void Reconnected();
}

/// <summary>
/// One PostgreSQL connection per API process that LISTENs on every subscriber's channel and hands each announced id to the
/// subscribers of its channel; it reconnects when the connection drops.
/// </summary>
public sealed class DatabaseListener(NpgsqlDataSource dataSource, IEnumerable<IChannelSubscriber> subscribers, ILogger<DatabaseListener> logger)
    : BackgroundService
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly ILookup<string, IChannelSubscriber> _byChannel = subscribers.ToLookup(s => s.Channel, StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (Guid.TryParse(e.Payload, out var id))
                    {
                        foreach (var subscriber in _byChannel[e.Channel])
                        {
                            subscriber.Announced(id);
                        }
                    }
                };
                foreach (var channel in _byChannel.Select(g => g.Key))
                {
                    await using var listen = new NpgsqlCommand($"LISTEN {channel}", connection);
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                foreach (var subscriber in _byChannel.SelectMany(g => g))
                {
                    subscriber.Reconnected();
                }

                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Listening for announcements failed; reconnecting in {Delay}", ReconnectDelay);
                await Task.Delay(ReconnectDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
