using System.Threading.Channels;
using Judge.Messaging;
using Judge.Messaging.Contracts;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests: the two lanes, and the event published once a result is written.</summary>
[Collection(Fleet.Name)]
public sealed class LaneTests(FleetFixture fleet)
{
    [Fact]
    public async Task A_live_submission_is_judged_before_a_batch_sent_ahead_of_it()
    {
        const string slow = "import time\ntime.sleep(1)\na, b = map(int, input().split())\nprint(a + b)\n";
        var batch = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            batch.Add(await fleet.SubmitAsync("sum", "python", slow, priority: "batch"));
        }

        var live = await fleet.SubmitAsync("sum", "python", Problems.SumPython);
        var liveResult = await fleet.WaitForVerdictAsync(live);
        var batchResults = await Task.WhenAll(batch.Select(id => fleet.WaitForVerdictAsync(id)));

        Assert.Equal("Accepted", liveResult.GetProperty("verdict").GetString());
        Assert.All(batchResults, r => Assert.Equal("Accepted", r.GetProperty("verdict").GetString()));
        var liveDone = liveResult.GetProperty("finishedAt").GetDateTime();
        var batchAfter = batchResults.Count(r => r.GetProperty("finishedAt").GetDateTime() > liveDone);
        Assert.True(batchAfter >= 6, $"only {batchAfter} of 10 batch submissions finished after the live one");
    }

    [Fact]
    public async Task A_submission_judged_event_is_published_with_the_verdict()
    {
        var received = Channel.CreateUnbounded<SubmissionJudged>();
        var rabbit = RabbitMqOptions.From(new ConfigurationBuilder().AddInMemoryCollection(fleet.Settings).Build());
        var listener = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            JudgeQueues.ConfigureHost(cfg, rabbit);
            cfg.ReceiveEndpoint($"judged-listener-{Guid.NewGuid():N}", endpoint =>
            {
                endpoint.AutoDelete = true;
                endpoint.Durable = false;
                endpoint.Handler<SubmissionJudged>(context => received.Writer.WriteAsync(context.Message).AsTask());
            });
        });
        await listener.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var id = await fleet.SubmitAsync("sum", "python", "print(0)");
            var result = await fleet.WaitForVerdictAsync(id);

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            SubmissionJudged judged;
            do
            {
                judged = await received.Reader.ReadAsync(deadline.Token);
            }
            while (judged.SubmissionId != id);

            Assert.Equal("WrongAnswer", judged.Verdict);
            Assert.Equal(0.0, judged.Score);
            Assert.Equal(result.GetProperty("problem").GetProperty("id").GetGuid(), judged.ProblemId);
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }
}
