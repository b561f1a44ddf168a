using System;

public static class Program
{
    public static void Main()
    {
        var parts = Console.ReadLine().Trim().Split(' ');
        Console.WriteLine(long.Parse(parts[0]) + long.Parse(parts[1]));
    }
}
