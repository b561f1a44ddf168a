using System.CommandLine;
using Judge.Data;
using Judge.Data.Keys;
using Judge.Data.Schema;
using Judge.Messaging;
using Judge.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace Judge.Cli.Admin;

/// <summary>`judge migrate` and `judge keys create`: operator tasks against PostgreSQL and RabbitMQ (settings from the environment).</summary>
public static class AdminCommands
{
    public static Command Migrate()
    {
        var command = new Command("migrate", "Apply the database migrations and declare the broker's queues (idempotent).");
        command.SetAction(async (_, ct) =>
        {
            using var host = BuildHost();
            var applied = await host.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(ct);
            Console.WriteLine(applied.Count == 0 ? "Schema is up to date." : $"Applied: {string.Join(", ", applied)}");
            var rabbit = RabbitMqOptions.From(host.Services.GetRequiredService<IConfiguration>());
            await JudgeQueues.DeployTopologyAsync(rabbit, ct);
            Console.WriteLine($"Queues {JudgeQueues.Interactive} and {JudgeQueues.Batch} are declared on {rabbit.Host}:{rabbit.Port}, virtual host '{rabbit.VirtualHost}'.");
            return 0;
        });
        return command;
    }

    public static Command Keys()
    {
        var name = new Option<string>("--name") { Description = "Who the key is for.", Required = true };
        var admin = new Option<bool>("--admin") { Description = "An admin key manages problems and sees every submission." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the key." };
        var create = new Command("create", "Create an API key and its callback signing secret. The key is printed once and stored only as a hash.") { name, admin, quiet };
        create.SetAction(async (parse, ct) =>
        {
            using var host = BuildHost();
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<JudgeDbContext>();
            var (key, row) = ApiKey.Create(parse.GetValue(name)!, parse.GetValue(admin));
            db.ApiKeys.Add(row);
            await db.SaveChangesAsync(ct);
            Console.WriteLine(parse.GetValue(quiet) ? key : $"Created {(row.IsAdmin ? "admin" : "user")} key {row.Prefix}… for '{row.Name}':\n{key}\n" +
                $"Its callbacks are signed with this secret (HMAC-SHA256; shown only now, rotate it with POST /api/keys/current/signing-secret):\n{row.SigningSecret}");
            return 0;
        });
        var keys = new Command("keys", "Manage API keys.");
        keys.Subcommands.Add(create);
        return keys;
    }

    private static IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddJudgeLogging(LogEventLevel.Warning);
        builder.Services.AddJudgeData(builder.Configuration);
        return builder.Build();
    }
}
