namespace Judge.Sandbox.Namespaces;

/// <summary>One line of /proc/self/mountinfo: "id parent dev root mountpoint options [tags] - type source superoptions".</summary>
internal sealed record Mount(string Root, string MountPoint, string Type, string SuperOptions)
{
    /// <summary>The mounts this process sees.</summary>
    public static List<Mount> ReadAll()
    {
        var mounts = new List<Mount>();
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || dash < 0 || dash + 3 >= fields.Length)
            {
                continue;
            }

            mounts.Add(new Mount(Unescape(fields[3]), Unescape(fields[4]), fields[dash + 1], fields[dash + 3]));
        }

        return mounts;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
