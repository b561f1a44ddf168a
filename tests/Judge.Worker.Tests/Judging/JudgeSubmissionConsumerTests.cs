using System.Collections.Concurrent;
using Judge.Data.Lifecycle;
using Judge.Data.Problems;
using Judge.Data.Submissions;
using Judge.Grading.Verdicts;
using Judge.Messaging;
using Judge.Messaging.Contracts;
using Judge.Worker.Judging;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Judge.Worker.Tests.Judging;

/// <summary>
/// Unit tests of the consumer's delivery policy on MassTransit's in-memory test harness; the database lifecycle and the
/// sandbox judge are fakes, so these show what the consumer decides, not what PostgreSQL or a VM does.
/// </summary>
public sealed class JudgeSubmissionConsumerTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_submission_that_cannot_be_judged_is_failed_at_once_and_not_retried()
    {
        var lifecycle = new FakeLifecycle();
        var judge = new FakeJudge(_ => throw new UnjudgeableException("This worker has no language 'cobol'."));
        await using var provider = Harness(lifecycle, judge);
        var harness = await StartAsync(provider);

        var id = Guid.NewGuid();
        await harness.Bus.Publish(new JudgeSubmission(id, "interactive"), Ct);

        Assert.True(await harness.Consumed.Any<JudgeSubmission>(m => m.Context.Message.SubmissionId == id, Ct));
        await harness.InactivityTask.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(1, judge.Calls[id]);
        Assert.Equal(["This worker has no language 'cobol'."], lifecycle.Failures[id]);
        Assert.False(await harness.Published.Any<Fault<JudgeSubmission>>(Ct));
        Assert.False(lifecycle.Finished.ContainsKey(id));
    }

    [Fact]
    public async Task A_failure_of_the_sandbox_is_retried_in_place()
    {
        var lifecycle = new FakeLifecycle();
        var attempts = 0;
        var judge = new FakeJudge(_ => Interlocked.Increment(ref attempts) == 1 ? throw new IOException("the VM stopped answering") : Accepted());
        await using var provider = Harness(lifecycle, judge);
        var harness = await StartAsync(provider);

        var id = Guid.NewGuid();
        await harness.Bus.Publish(new JudgeSubmission(id, "interactive"), Ct);

        await WaitUntilAsync(() => lifecycle.Finished.ContainsKey(id), TimeSpan.FromSeconds(30));
        Assert.Equal(2, judge.Calls[id]);
        Assert.False(lifecycle.Failures.ContainsKey(id));
    }

    [Fact]
    public async Task A_command_whose_submission_a_live_worker_holds_leaves_for_the_delay_queue_and_frees_its_consumer()
    {
        var held = Guid.NewGuid();
        var free = Guid.NewGuid();
        var lifecycle = new FakeLifecycle { HeldElsewhere = { held } };
        var judge = new FakeJudge(_ => Accepted());
        // One consumer at a time: a held command that waited in it would keep the next submission from being judged.
        await using var provider = Harness(lifecycle, judge, concurrentMessages: 1);
        var harness = await StartAsync(provider);

        await harness.Bus.Publish(new JudgeSubmission(held, "interactive"), Ct);
        await harness.Bus.Publish(new JudgeSubmission(free, "interactive"), Ct);

        await WaitUntilAsync(() => lifecycle.Finished.ContainsKey(free), TimeSpan.FromSeconds(5));
        var parked = await harness.Sent.SelectAsync<JudgeSubmission>(m => m.Context.Message.SubmissionId == held, Ct).First();
        Assert.EndsWith("/" + JudgeQueues.DelayQueue(JudgeQueues.Interactive), parked.Context.DestinationAddress!.AbsolutePath, StringComparison.Ordinal);
        Assert.NotNull(parked.Context.Headers.Get<string>(HeldCommands.HeldSinceHeader));
        Assert.False(judge.Calls.ContainsKey(held));
    }

    [Fact]
    public async Task A_command_whose_submission_stayed_held_for_two_leases_is_dropped()
    {
        var held = Guid.NewGuid();
        var lifecycle = new FakeLifecycle { HeldElsewhere = { held } };
        await using var provider = Harness(lifecycle, new FakeJudge(_ => Accepted()));
        var harness = await StartAsync(provider);

        var since = DateTime.UtcNow - 2 * Lease - TimeSpan.FromSeconds(1);
        await harness.Bus.Publish(new JudgeSubmission(held, "batch"), send => send.Headers.Set(HeldCommands.HeldSinceHeader, since.ToString("O")), Ct);

        Assert.True(await harness.Consumed.Any<JudgeSubmission>(m => m.Context.Message.SubmissionId == held, Ct));
        await harness.InactivityTask.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.False(await harness.Sent.Any<JudgeSubmission>(m => m.Context.Message.SubmissionId == held, Ct));
    }

    private static ServiceProvider Harness(FakeLifecycle lifecycle, FakeJudge judge, int concurrentMessages = 4) =>
        new ServiceCollection()
            .AddLogging()
            .Configure<WorkerOptions>(o =>
            {
                o.Id = "worker-under-test";
                o.LeaseDuration = Lease;
            })
            .AddSingleton<IJudgingLifecycle>(lifecycle)
            .AddSingleton<ISubmissionJudge>(judge)
            .AddSingleton(new JudgeSlots(4))
            .AddSingleton<InFlightSubmissions>()
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddConsumer<JudgeSubmissionConsumer, JudgeSubmissionConsumerDefinition>();
                bus.UsingInMemory((context, cfg) =>
                {
                    cfg.ConcurrentMessageLimit = concurrentMessages;
                    cfg.ConfigureEndpoints(context);
                });
            })
            .BuildServiceProvider(true);

    private static async Task<ITestHarness> StartAsync(IServiceProvider provider)
    {
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestInactivityTimeout = TimeSpan.FromSeconds(1);
        await harness.Start();
        return harness;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private static JudgeOutcome Accepted() =>
        new(Verdict.Accepted, 1, 1, null, null, null, [], [], "vm-1", "Namespace", true, 1.0, 1000, new JudgeTimings(1, 0, 0, 1, 2));

    private sealed class FakeJudge(Func<ClaimedSubmission, JudgeOutcome> behaviour) : ISubmissionJudge
    {
        public ConcurrentDictionary<Guid, int> Calls { get; } = new();

        public Task<JudgeOutcome> JudgeAsync(ClaimedSubmission submission, CancellationToken cancellationToken)
        {
            Calls.AddOrUpdate(submission.Id, 1, (_, n) => n + 1);
            return Task.FromResult(behaviour(submission));
        }
    }

    /// <summary>Claims every submission except those named held, which another (live) worker holds.</summary>
    private sealed class FakeLifecycle : IJudgingLifecycle
    {
        private readonly ConcurrentDictionary<Guid, int> _attempts = new();

        public HashSet<Guid> HeldElsewhere { get; } = [];

        public ConcurrentDictionary<Guid, JudgeOutcome> Finished { get; } = new();

        public ConcurrentDictionary<Guid, List<string>> Failures { get; } = new();

        public Task<ClaimResult> TryClaimAsync(Guid id, string workerId, TimeSpan lease, CancellationToken cancellationToken)
        {
            if (HeldElsewhere.Contains(id))
            {
                return Task.FromResult(new ClaimResult(ClaimStatus.HeldElsewhere, LeaseExpiresAt: DateTime.UtcNow + lease));
            }

            var attempt = _attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
            return Task.FromResult(new ClaimResult(ClaimStatus.Claimed, new ClaimedSubmission(
                id, attempt, Guid.NewGuid(), "python", "print(1)", Lane.Interactive, SubmissionPurpose.Judge, DateTime.UtcNow, DateTime.UtcNow,
                new ProblemVersion())));
        }

        public Task<bool> FinishAsync(ClaimedSubmission claim, string workerId, JudgeOutcome outcome, CancellationToken cancellationToken) =>
            Task.FromResult(Finished.TryAdd(claim.Id, outcome));

        public Task<bool> FailAsync(ClaimedSubmission claim, string workerId, string reason, CancellationToken cancellationToken)
        {
            Failures.GetOrAdd(claim.Id, _ => []).Add(reason);
            return Task.FromResult(true);
        }
    }
}
