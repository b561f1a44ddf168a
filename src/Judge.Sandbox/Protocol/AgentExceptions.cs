namespace Judge.Sandbox.Protocol;

/// <summary>The agent's bytes do not follow the protocol; the VM can no longer be trusted to answer.</summary>
public sealed class AgentProtocolException(string message) : Exception(message);

/// <summary>The agent understood a request and refused it (an ERROR frame).</summary>
public sealed class AgentErrorException(AgentErrorCode code, string message)
    : Exception($"Guest agent error {code}: {message}")
{
    public AgentErrorCode Code { get; } = code;

    public string AgentMessage { get; } = message;
}

/// <summary>The guest speaks another protocol or runs another image than this host expects.</summary>
public sealed class AgentVersionMismatchException(string message) : Exception(message);
