using Judge.Worker.Judging;

namespace Judge.Worker.Tests;

public sealed class InFlightSubmissionsTests
{
    [Fact]
    public void A_second_delivery_of_a_submission_being_judged_here_is_recognised()
    {
        var inFlight = new InFlightSubmissions();
        var id = Guid.NewGuid();

        Assert.True(inFlight.TryBegin(id));
        Assert.False(inFlight.TryBegin(id));
        inFlight.End(id);
        Assert.True(inFlight.TryBegin(id));
        Assert.Equal([id], inFlight.Ids);
    }
}
