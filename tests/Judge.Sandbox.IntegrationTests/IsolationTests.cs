using System.Globalization;
using Judge.Sandbox.Protocol;

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
    public async Task A_file_written_in_one_vm_is_absent_in_the_next()
    {
        string first;
        await using (var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct))
        {
            first = session.VmId;
            await session.WriteFileAsync("/box/marker", "secret"u8.ToArray(), Ct);
            await session.WriteProtectedFileAsync("/judge/marker", "secret"u8.ToArray(), Ct);
        }

        var read = await fixture.RunAsync("shell", "ls /box/marker /judge/marker 2>&1 | wc -l; cat /box/marker /judge/marker 2>/dev/null; echo done");

        Assert.NotEqual(first, read.VmId);
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
