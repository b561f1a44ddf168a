using System.Globalization;
using Judge.Sandbox.Running;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>Integration tests: nothing gets out of a sandbox, and nothing crosses from one sandbox to the next.</summary>
public abstract class IsolationTests(SandboxFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task There_is_no_network_a_connect_fails()
    {
        const string source = """
            import os, socket
            results = []
            for host in ["10.0.2.2", "127.0.0.1", "1.1.1.1"]:
                try:
                    socket.create_connection((host, 80), timeout=3).close()
                    results.append(host + ":connected")
                except OSError as e:
                    results.append(host + ":failed")
            print(" ".join(results))
            with open("/proc/net/dev") as f:
                print(",".join(sorted(line.split(":")[0].strip() for line in f.readlines()[2:])))
            """;

        var result = await fixture.RunAsync("python", source);

        Assert.Equal("10.0.2.2:failed 127.0.0.1:failed 1.1.1.1:failed\nlo\n", result.Run!.StdoutText);
    }

    [Fact]
    public async Task Between_runs_of_one_program_nothing_it_wrote_survives_and_it_cannot_change_itself()
    {
        // Writes everywhere it can, nested directories and a symlink to its own program included (clearing must
        // remove the link, not what it points to), and reports what an earlier run left.
        const string source = """
            for d in /box /tmp /var/tmp /run/lock /dev/shm; do
              [ -e "$d/left" ] && echo "$d: left over"
              (mkdir -p "$d/left/deeper" && echo x > "$d/left/deeper/file" && ln -s /box/main.sh "$d/left/link") 2>/dev/null && echo "$d: written"
            done
            (echo 'echo changed' >> /box/main.sh) 2>/dev/null && echo "program changed"
            echo done
            """;
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        await session.WriteSourceAsync(source, Ct);

        await session.ProtectProgramAsync(Ct);
        var first = await session.RunProgramAsync(null, SandboxRunRequest.DefaultLimits, null, Ct);
        await session.ClearScratchAsync(Ct);
        var second = await session.RunProgramAsync(null, SandboxRunRequest.DefaultLimits, null, Ct);

        Assert.Contains("/tmp: written\n", first.StdoutText, StringComparison.Ordinal);
        Assert.Contains("/dev/shm: written\n", first.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("/box: written", first.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("program changed", first.StdoutText, StringComparison.Ordinal);
        Assert.EndsWith("done\n", first.StdoutText, StringComparison.Ordinal);
        Assert.Equal(first.StdoutText, second.StdoutText);
    }

    [Fact]
    public async Task A_file_written_in_one_vm_is_absent_in_the_next()
    {
        var write = await fixture.RunAsync("shell", "echo secret > /box/marker && echo secret > /tmp/marker && echo written");
        var read = await fixture.RunAsync("shell", "ls /box/marker /tmp/marker 2>&1 | wc -l; cat /box/marker /tmp/marker 2>/dev/null; echo done");

        Assert.Equal("written\n", write.Run!.StdoutText);
        Assert.NotEqual(write.VmId, read.VmId);
        Assert.Equal("2\ndone\n", read.Run!.StdoutText);
    }

    [Fact]
    public async Task The_judged_program_cannot_write_the_root_filesystem_or_read_protected_files()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        await session.WriteProtectedFileAsync("/data/secret.ans", "42\n"u8.ToArray(), Ct, mode: 0x180 /* 0600 */);

        var probe = await session.ExecuteAsync(new GuestCommand(["sh", "-c",
            "touch /usr/bin/evil 2>/dev/null && echo wrote-usr; cat /data/secret.ans 2>/dev/null && echo read-secret; echo checked"]), Ct);

        Assert.Equal("checked\n", probe.StdoutText);
    }

    [Fact]
    public async Task Sandboxes_get_their_own_randomness_and_the_current_time_even_when_restored_from_one_snapshot()
    {
        await using var first = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        await using var second = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        var command = new GuestCommand(["sh", "-c", "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo; date +%s"]);

        var a = (await first.ExecuteAsync(command, Ct)).StdoutText.Split('\n');
        var b = (await second.ExecuteAsync(command, Ct)).StdoutText.Split('\n');

        Assert.Equal(32, a[0].Length);
        Assert.NotEqual(a[0], b[0]);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(long.Parse(a[1], CultureInfo.InvariantCulture), now - 120, now + 5);
        Assert.InRange(long.Parse(b[1], CultureInfo.InvariantCulture), now - 120, now + 5);
    }
}

[Collection(VmSandbox.Name)]
public sealed class IsolationTestsInVms(VmSandboxFixture fixture) : IsolationTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class IsolationTestsInNamespaces(NamespaceSandboxFixture fixture) : IsolationTests(fixture);
