using System.Text.Json;
using System.Text.Json.Serialization;

namespace Judge.Sandbox.Calibration;

/// <summary>One language's calibration program as the reference host ran it: its median CPU time and its output.</summary>
public sealed record ReferenceRun(double CpuMs, string Output);

/// <summary>
/// The speed every worker is compared with: the calibration programs' CPU times on the reference host, stored in the
/// repository (Calibration/speed-reference.json). Problem time limits are read as times on that host; a worker's speed
/// factor turns them into times on its own. How it is made and refreshed: docs/sandbox.md, "Speed calibration".
/// </summary>
public sealed record SpeedReference(string Host, string Isolation, DateOnly MadeOn, string Command, IReadOnlyDictionary<string, ReferenceRun> Languages)
{
    private const string ResourceName = "calibration/speed-reference.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file for people to read, not HTML
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The reference built into this version of Judge.</summary>
    public static SpeedReference BuiltIn { get; } = Load();

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    public static SpeedReference Parse(string json) =>
        JsonSerializer.Deserialize<SpeedReference>(json, Json) ?? throw new InvalidDataException("The speed reference is empty.");

    private static SpeedReference Load()
    {
        using var stream = typeof(SpeedReference).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing from Judge.Sandbox.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }
}
