namespace Judge.Sandbox.Protocol;

/// <summary>What the agent says about itself in READY and in the HELLO reply.</summary>
internal sealed record AgentInfo(int ProtocolVersion, string AgentVersion, string ImageVersion, string KernelRelease, long UptimeMs, bool CgroupReady)
{
    public static AgentInfo Parse(FieldReader fields) => new(
        (int)fields.RequiredInt(HelloTag.ProtocolVersion),
        fields.String(HelloTag.AgentVersion) ?? "unknown",
        fields.String(HelloTag.ImageVersion) ?? "unknown",
        fields.String(HelloTag.KernelRelease) ?? "unknown",
        fields.Int(HelloTag.UptimeMs) ?? 0,
        fields.Int(HelloTag.CgroupReady) == 1);

    /// <summary>Refuses a guest this host cannot drive, with a message that says how to fix it.</summary>
    public void EnsureCompatible(string expectedImageVersion)
    {
        if (ProtocolVersion != AgentProtocol.Version)
        {
            throw new AgentVersionMismatchException(
                $"The guest agent speaks protocol version {ProtocolVersion} but this host speaks version {AgentProtocol.Version}. " +
                "Rebuild the guest image with deploy/guest-image/build.sh so the agent matches this build.");
        }

        if (!string.Equals(ImageVersion, expectedImageVersion, StringComparison.Ordinal))
        {
            throw new AgentVersionMismatchException(
                $"The guest reports image version '{ImageVersion}' but the image manifest says '{expectedImageVersion}'. " +
                "The image directory is inconsistent; rebuild it with deploy/guest-image/build.sh.");
        }

        if (!CgroupReady)
        {
            throw new AgentVersionMismatchException(
                "The guest agent reports that cgroup v2 (memory, pids, cpu) is not usable, so limits cannot be enforced.");
        }
    }
}
