using Judge.Worker.Judging;

namespace Judge.Worker.Tests;

public sealed class JudgeSlotsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Free_slots_are_granted_at_once_up_to_capacity()
    {
        var slots = new JudgeSlots(2);

        using var first = await slots.AcquireAsync(interactive: false, Ct);
        using var second = await slots.AcquireAsync(interactive: true, Ct);
        var third = slots.AcquireAsync(interactive: true, Ct);

        Assert.Equal(2, slots.InUse);
        Assert.False(third.IsCompleted);
    }

    [Fact]
    public async Task A_freed_slot_goes_to_a_waiting_interactive_submission_before_earlier_batch_ones()
    {
        var slots = new JudgeSlots(1);
        var running = await slots.AcquireAsync(interactive: false, Ct);
        var batch = slots.AcquireAsync(interactive: false, Ct);
        var interactive = slots.AcquireAsync(interactive: true, Ct);

        running.Dispose();
        var granted = await interactive.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.False(batch.IsCompleted);
        granted.Dispose();
        (await batch.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Dispose();
        Assert.Equal(0, slots.InUse);
    }

    [Fact]
    public async Task A_slot_freed_while_interactive_submissions_wait_is_handed_over_not_left_for_batch()
    {
        var slots = new JudgeSlots(1);
        var running = await slots.AcquireAsync(interactive: true, Ct);
        var interactive = slots.AcquireAsync(interactive: true, Ct);

        running.Dispose();
        var batch = slots.AcquireAsync(interactive: false, Ct);

        Assert.False(batch.IsCompleted);
        (await interactive.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Dispose();
        (await batch.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Dispose();
    }

    [Fact]
    public async Task A_cancelled_waiter_is_skipped_and_its_slot_not_lost()
    {
        var slots = new JudgeSlots(1);
        var running = await slots.AcquireAsync(interactive: true, Ct);
        using var cancel = new CancellationTokenSource();
        var abandoned = slots.AcquireAsync(interactive: true, cancel.Token);
        var next = slots.AcquireAsync(interactive: false, Ct);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        running.Dispose();

        (await next.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Dispose();
        Assert.Equal(0, slots.InUse);
    }

    [Fact]
    public async Task Releasing_a_slot_twice_frees_it_once()
    {
        var slots = new JudgeSlots(1);
        var slot = await slots.AcquireAsync(interactive: true, Ct);

        slot.Dispose();
        slot.Dispose();

        using var again = await slots.AcquireAsync(interactive: true, Ct);
        Assert.False(slots.AcquireAsync(interactive: true, Ct).IsCompleted);
    }
}
