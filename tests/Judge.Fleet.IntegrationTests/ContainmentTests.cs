using System.Net;
using System.Text.Json;
using Judge.Sandbox.Vms;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests of the threat model through the whole judging pipeline, under each isolation: programs that try to
/// get Accepted without solving the problem, to read what the judge keeps from them, or to turn their own failure into
/// the judge's InternalError, judged by a real worker with real validators. Each must get the verdict its output earns.
/// </summary>
[Collection(Fleet.Name)]
public sealed class ContainmentTests(FleetFixture fleet)
{
    /// <summary>A Kattis validator that accepts the output iff its tokens are the answer's.</summary>
    private const string TokenValidator = """
        import sys
        answer = open(sys.argv[2]).read().split()
        sys.exit(42 if sys.stdin.read().split() == answer else 43)
        """;

    /// <summary>The same in C++, compiled once in a sandbox and installed in /judge for every later check.</summary>
    private const string CompiledTokenValidator = """
        #include <fstream>
        #include <iostream>
        #include <iterator>
        #include <string>
        #include <vector>
        int main(int argc, char **argv) {
            std::ifstream a(argv[2]);
            std::vector<std::string> answer{std::istream_iterator<std::string>(a), {}}, output{std::istream_iterator<std::string>(std::cin), {}};
            return output == answer ? 42 : 43;
        }
        """;

    /// <summary>A testlib-interface checker (checker input output answer): it must read the output file itself.</summary>
    private const string TestlibChecker = """
        #include <fstream>
        #include <iterator>
        #include <string>
        #include <vector>
        int main(int argc, char **argv) {
            std::ifstream o(argv[2]), a(argv[3]);
            if (!o) return 3;
            std::vector<std::string> output{std::istream_iterator<std::string>(o), {}}, answer{std::istream_iterator<std::string>(a), {}};
            return output == answer ? 0 : 1;
        }
        """;

    /// <summary>A validator that answers with a link for its message: the agent must not follow it (here, to the agent's own environment).</summary>
    private const string LinkingValidator = """
        import os, sys
        os.symlink("/proc/self/environ", os.path.join(sys.argv[3], "judgemessage.txt"))
        os.symlink("/proc/self/fd/0/../../../../../../etc/hostname", os.path.join(sys.argv[3], "teammessage.txt"))
        sys.exit(43)
        """;

    /// <summary>Wrong, but leaves Python start-up files wherever a Python validator started after it might import them from.</summary>
    private const string PlantsPythonStartupFiles = """
        import os, site
        payload = "import os; os._exit(42)\n"
        for d in {site.getusersitepackages(), os.path.expanduser("~/.local/lib/python3.11/site-packages"), "/tmp", "/var/tmp", "/dev/shm", os.getcwd()}:
            try:
                os.makedirs(d, exist_ok=True)
                open(os.path.join(d, "judge.pth"), "w").write(payload)
                open(os.path.join(d, "usercustomize.py"), "w").write(payload)
                open(os.path.join(d, "sitecustomize.py"), "w").write(payload)
            except OSError:
                pass
        print(4)
        """;

    /// <summary>Right, but takes its output away from a checker that reads it by name.</summary>
    private const string ChmodsItsOutput = """
        import os
        a, b = map(int, input().split())
        print(a + b, flush=True)
        for target in (1, "/proc/self/fd/1", "/dev/stdout", "/judge/output"):
            try:
                os.chmod(target, 0)
            except OSError:
                pass
        """;

    /// <summary>Right, after leaving a chain of directories deeper than PATH_MAX in /tmp for the judge to clear.</summary>
    private const string LeavesADeepChain = """
        import os
        os.chdir("/tmp")
        for _ in range(2100):
            os.mkdir("d")
            os.chdir("d")
        a, b = map(int, input().split())
        print(a + b)
        """;

    /// <summary>Right only when it can read nothing of the judge's: no validator, no answer, no other test.</summary>
    private const string SnoopsOnTheJudge = """
        import os
        seen = []
        for root, dirs, files in os.walk("/judge"):
            for f in files:
                try:
                    open(os.path.join(root, f), "rb").read(1)
                    seen.append(os.path.join(root, f))
                except OSError:
                    pass
        a, b = map(int, input().split())
        print(a + b if not seen else "saw " + " ".join(seen))
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Isolation.Namespace)]
    [InlineData(Isolation.Kvm)]
    [InlineData(Isolation.Tcg)]
    public async Task Hostile_programs_get_the_verdict_their_output_earns_under_each_isolation(Isolation isolation)
    {
        await CreateProblemsOnceAsync();
        // Limits here are absolute (no calibration: it takes minutes under TCG), and generous.
        await fleet.WithWorkerIsolatingAsync(isolation, async () =>
        {
            var submissions = new Dictionary<string, Guid>
            {
                ["startup files"] = await fleet.SubmitAsync("contain-python", "python", PlantsPythonStartupFiles),
                ["linking validator"] = await fleet.SubmitAsync("contain-links", "python", "print(3)\n"),
                ["chmod of the output"] = await fleet.SubmitAsync("contain-testlib", "python", ChmodsItsOutput),
                ["deep chain"] = await fleet.SubmitAsync("contain-compiled", "python", LeavesADeepChain),
                ["snooping"] = await fleet.SubmitAsync("contain-compiled", "python", SnoopsOnTheJudge),
            };
            var results = new Dictionary<string, JsonElement>();
            foreach (var (name, id) in submissions)
            {
                results[name] = await fleet.WaitForVerdictAsync(id);
            }

            Assert.Equal(new Dictionary<string, string?>
            {
                ["startup files"] = "WrongAnswer",
                ["linking validator"] = "WrongAnswer",
                ["chmod of the output"] = "Accepted",
                ["deep chain"] = "Accepted",
                ["snooping"] = "Accepted",
            }, results.ToDictionary(r => r.Key, r => Verdict(r.Value)));
            Assert.All(results.Values, r => Assert.Equal(isolation.ToString(), r.GetProperty("isolation").GetString()));
            Assert.Equal(JsonValueKind.Null, results["linking validator"].GetProperty("tests")[0].GetProperty("checkerMessage").ValueKind);
            Assert.Equal(2, results["snooping"].GetProperty("tests").GetArrayLength());
        }, new Dictionary<string, string?> { ["Sandbox:CalibrateSpeed"] = "false" });
    }

    /// <summary>The verdict, with the judge's error when it is not one a program's output earns.</summary>
    private static string? Verdict(JsonElement result) =>
        result.GetProperty("verdict").GetString() is var verdict && verdict is "Accepted" or "WrongAnswer"
            ? verdict
            : $"{verdict}: {result.GetProperty("error")}";

    private async Task CreateProblemsOnceAsync()
    {
        using var existing = await fleet.Client(fleet.AdminKey).GetAsync(new Uri("/api/problems/contain-compiled", UriKind.Relative), Ct);
        if (existing.StatusCode == HttpStatusCode.OK)
        {
            return;
        }

        (string, string)[] oneTest = [("data/secret/1.in", "1 2\n"), ("data/secret/1.ans", "3\n"), (".timelimit", "10")];
        await fleet.CreatePackageAsync(FleetFixture.Package("name: P\nvalidation: custom\n", [.. oneTest, ("output_validators/check/check.py", TokenValidator)]), "contain-python");
        await fleet.CreatePackageAsync(FleetFixture.Package("name: L\nvalidation: custom\n", [.. oneTest, ("output_validators/check/check.py", LinkingValidator)]), "contain-links");
        await fleet.CreatePackageAsync(FleetFixture.Package("name: T\nvalidation: custom\n",
            [.. oneTest, ("output_validators/check/check.cpp", TestlibChecker), ("output_validators/check/testlib.h", "#pragma once\n")]), "contain-testlib");
        await fleet.CreatePackageAsync(FleetFixture.Package("name: C\nvalidation: custom\n",
            [.. oneTest, ("data/secret/2.in", "2 2\n"), ("data/secret/2.ans", "4\n"), ("output_validators/check/check.cpp", CompiledTokenValidator)]), "contain-compiled");
    }
}
