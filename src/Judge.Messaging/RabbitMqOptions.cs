using Microsoft.Extensions.Configuration;

namespace Judge.Messaging;

/// <summary>Broker settings (section "RabbitMq"); deploy/services.sh env prints those of the local broker.</summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "RabbitMq";

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 5672;

    public string VirtualHost { get; set; } = "/";

    public string Username { get; set; } = "guest";

    public string Password { get; set; } = "guest";

    public static RabbitMqOptions From(IConfiguration configuration) =>
        configuration.GetSection(SectionName).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
}
