namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests of interactive and multi-pass problems through the real API and worker: packages written here in the
/// Kattis format, their submissions verified by `judge verify` (time limit derived from the accepted ones), each
/// verdict of an interaction, and a program that never reads its input ending in its time limit instead of hanging.
/// </summary>
[Collection(Fleet.Name)]
public sealed class InteractiveTests(FleetFixture fleet)
{
    /// <summary>
    /// Kattis interactor: the secret number is in the input file; answers each guess with lower, higher or correct. Leaves by
    /// os._exit, since Python's own exit would try again to flush what a closed pipe refused, and exit 120.
    /// </summary>
    private const string Interactor = """
        import os, sys
        secret = int(open(sys.argv[1]).read())
        feedback = sys.argv[3].rstrip("/")
        def reject(why):
            with open(feedback + "/judgemessage.txt", "w") as f:
                f.write(why)
            os._exit(43)
        print(1000, flush=True)
        for guesses in range(1, 11):
            line = sys.stdin.readline()
            if not line:
                reject(f"the program stopped after {guesses - 1} guesses")
            try:
                guess = int(line)
            except ValueError:
                reject(f"not a number: {line!r}")
            try:
                if guess == secret:
                    print("correct", flush=True)
                    os._exit(42)
                print("lower" if guess > secret else "higher", flush=True)
            except BrokenPipeError:
                reject("the program closed its input")
        reject("more than 10 guesses")
        """;

    private const string BinarySearch = """
        lo, hi = 1, int(input())
        while True:
            mid = (lo + hi) // 2
            print(mid, flush=True)
            reply = input()
            if reply == "correct":
                break
            if reply == "lower":
                hi = mid - 1
            else:
                lo = mid + 1
        """;

    private const string BinarySearchCpp = """
        #include <iostream>
        #include <string>
        int main() {
            int lo = 1, hi;
            std::cin >> hi;
            for (std::string reply; reply != "correct";) {
                int mid = (lo + hi) / 2;
                std::cout << mid << std::endl;
                std::cin >> reply;
                if (reply == "lower") hi = mid - 1; else lo = mid + 1;
            }
        }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_interactive_guessing_problem_gives_each_submission_its_folders_verdict()
    {
        var (ok, report) = await VerifyAsync("guess-" + Guid.NewGuid().ToString("N")[..6], "name: Guess\nvalidation: custom interactive\n",
            [("output_validators/guess/guess.py", Interactor), ("data/sample/1.in", "1\n"), ("data/sample/1.ans", ""),
                ("data/secret/1.in", "777\n"), ("data/secret/1.ans", ""), ("data/secret/2.in", "1000\n"), ("data/secret/2.ans", "")],
            ("submissions/accepted/binary.py", BinarySearch),
            ("submissions/accepted/binary.cpp", BinarySearchCpp),
            ("submissions/wrong_answer/linear.py", "for g in range(1, 1001):\n    print(g, flush=True)\n    if input() == 'correct': break\n"),
            ("submissions/wrong_answer/gives_up.py", "input()\nprint(500, flush=True)\n"),
            ("submissions/time_limit_exceeded/spins.py", "input()\nwhile True: pass\n"),
            ("submissions/time_limit_exceeded/never_reads.py", "import time\ntime.sleep(3600)\n"),
            ("submissions/run_time_error/crashes.py", "input()\nprint(1, flush=True)\ninput()\nraise SystemExit(3)\n"),
            ("submissions/run_time_error/segfaults.c", "#include <stdio.h>\nint main(void) { int n; scanf(\"%d\", &n); return *(volatile int *)0; }\n"));

        Assert.True(ok, report);
        Assert.Contains("all 8 submissions got their expected verdict", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejection_carries_the_interactors_message_and_the_problem_says_it_is_interactive()
    {
        var slug = "guess-msg-" + Guid.NewGuid().ToString("N")[..6];
        var problem = await fleet.CreatePackageAsync(FleetFixture.Package(
            "problem_format_version: 2023-07-draft\nname: Guess\ntype: interactive\nlimits:\n  time_limit: 2\n",
            ("output_validator/guess.py", Interactor), ("data/secret/1.in", "777\n"), ("data/secret/1.ans", "")), slug);

        var result = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync(slug, "python", "input()\nprint(500, flush=True)\n"));

        Assert.True(problem.GetProperty("interactive").GetBoolean());
        Assert.Equal("WrongAnswer", result.GetProperty("verdict").GetString());
        Assert.Equal("the program stopped after 1 guesses", result.GetProperty("tests")[0].GetProperty("checkerMessage").GetString());
    }

    [Fact]
    public async Task A_multi_pass_problem_runs_the_program_again_on_the_input_its_validator_writes()
    {
        // Input "k v": the answer is k * v; pass k (of 3) asks for pass k + 1 by writing its input to nextpass.in.
        const string validator = """
            import sys
            k, v = map(int, open(sys.argv[1]).read().split())
            feedback = sys.argv[3].rstrip("/")
            if sys.stdin.read().split() != [str(k * v)]:
                open(feedback + "/judgemessage.txt", "w").write(f"pass {k} wrong")
                sys.exit(43)
            if k < int(sys.argv[4]):
                open(feedback + "/nextpass.in", "w").write(f"{k + 1} {v}\n")
            sys.exit(42)
            """;
        var slug = "multipass-" + Guid.NewGuid().ToString("N")[..6];
        await fleet.CreatePackageAsync(FleetFixture.Package(
            "problem_format_version: 2023-07-draft\nname: Passes\ntype: multi-pass\nlimits:\n  time_limit: 2\n  validation_passes: 3\n",
            ("output_validator/check.py", validator), ("data/secret/1.in", "1 7\n"), ("data/secret/1.ans", ""),
            ("data/secret/testdata.yaml", "output_validator_args: '3'\n"),
            ("data/secret/more/1.in", "1 5\n"), ("data/secret/more/1.ans", ""), ("data/secret/more/testdata.yaml", "output_validator_args: '4'\n")), slug);

        var right = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync(slug, "python", "k, v = map(int, input().split())\nprint(k * v)\n"));
        var firstPassOnly = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync(slug, "python", "k, v = map(int, input().split())\nprint(v)\n"));

        // The first group's validator stops at pass 3; the second group's asks for a fourth, beyond the limit.
        Assert.Equal("InternalError", right.GetProperty("verdict").GetString());
        Assert.Equal("Accepted", right.GetProperty("tests")[0].GetProperty("verdict").GetString());
        Assert.Contains("pass 4, beyond the problem's 3 validation passes", right.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("WrongAnswer", firstPassOnly.GetProperty("verdict").GetString());
        Assert.Equal("pass 2 wrong", firstPassOnly.GetProperty("tests")[0].GetProperty("checkerMessage").GetString());
    }

    private Task<(bool Ok, string Report)> VerifyAsync(string slug, string yaml, (string Path, string Content)[] files, params (string Path, string Content)[] submissions) =>
        fleet.VerifyPackageAsync(FleetFixture.Package(yaml, [.. files, .. submissions]), slug);
}
