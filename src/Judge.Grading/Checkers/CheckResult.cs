namespace Judge.Grading.Checkers;

public sealed record CheckResult(bool Accepted, string Message)
{
    public static CheckResult Accept { get; } = new(true, "ok");

    public static CheckResult Reject(string message) => new(false, message);
}
