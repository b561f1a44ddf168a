using System.Globalization;

namespace Judge.Benchmarks;

/// <summary>Repeated timings of one thing, in milliseconds.</summary>
public sealed class Samples(string name)
{
    private readonly List<double> _values = [];

    public string Name { get; } = name;

    public int Count => _values.Count;

    public double Min => _values.Min();

    public double Max => _values.Max();

    public double Median
    {
        get
        {
            var sorted = _values.Order().ToList();
            var mid = sorted.Count / 2;
            return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    public double Mean => _values.Average();

    /// <summary>Sample standard deviation (n − 1); 0 for fewer than two values.</summary>
    public double StandardDeviation
    {
        get
        {
            if (Count < 2)
            {
                return 0;
            }

            var mean = Mean;
            return Math.Sqrt(_values.Sum(v => (v - mean) * (v - mean)) / (Count - 1));
        }
    }

    /// <summary>Coefficient of variation: standard deviation over mean.</summary>
    public double CoefficientOfVariation => StandardDeviation / Mean;

    /// <summary>Nearest-rank percentile (p in 0..100).</summary>
    public double Percentile(double p)
    {
        var sorted = _values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public void Add(double milliseconds) => _values.Add(milliseconds);

    public static Samples Of(string name, IEnumerable<double> milliseconds)
    {
        var samples = new Samples(name);
        foreach (var value in milliseconds)
        {
            samples.Add(value);
        }

        return samples;
    }

    public string Format() => Count == 0 ? "-" : $"{Ms(Min)} / {Ms(Median)} / {Ms(Max)}";

    public static string Ms(double value) =>
        value.ToString(value < 10 ? "0.00" : value < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);
}
