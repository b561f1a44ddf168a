using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Judge.Api.Facades;

/// <summary>
/// How the facades read their clients' JSON: loosely, as PHP and Rails do, because the protocols decide what a bad body gets
/// (Jobe's and Judge0's own messages), not model binding.
/// </summary>
public static class FacadeJson
{
    /// <summary>The request's body when it is a JSON object; null when it is not JSON or not an object.</summary>
    public static async Task<JsonObject?> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON number, or a string that is one (PHP's is_numeric, Rails' numericality); null for anything else.</summary>
    public static double? Number(JsonNode? node) => node switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.GetValue<double>(),
        JsonValue value when value.TryGetValue<string>(out var text)
            && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };
}
