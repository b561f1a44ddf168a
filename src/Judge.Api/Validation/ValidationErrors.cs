using Microsoft.AspNetCore.Http.HttpResults;

namespace Judge.Api.Validation;

/// <summary>Collects problems with a request by field name (as spelled in the JSON) for a 400 ValidationProblem.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>Adds an error when <paramref name="value"/> is missing, blank or not <see cref="Text"/>; returns whether it is usable.</summary>
    public bool Required(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, $"'{field}' is required.");
            return false;
        }

        return Text(field, value);
    }

    /// <summary>
    /// Adds an error when <paramref name="value"/> holds a NUL character, which no text column can store: such a value is
    /// refused, never stored altered. Source code is text to every compiler Judge runs, so a NUL in it is a client's mistake.
    /// </summary>
    public bool Text(string field, string? value)
    {
        if (value?.IndexOf('\0', StringComparison.Ordinal) is >= 0 and var at)
        {
            Add(field, $"'{field}' contains a NUL character (U+0000) at position {at}; send text without it.");
            return false;
        }

        return true;
    }

    public void Range(string field, long? value, long min, long max, string unit)
    {
        if (value is null)
        {
            Add(field, $"'{field}' is required.");
        }
        else if (value < min || value > max)
        {
            Add(field, $"'{field}' must be between {min} and {max} {unit}; got {value}.");
        }
    }

    public ValidationProblem ToProblem() =>
        TypedResults.ValidationProblem(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
            title: "The request is not valid", detail: string.Join(" ", _errors.SelectMany(e => e.Value)));
}
