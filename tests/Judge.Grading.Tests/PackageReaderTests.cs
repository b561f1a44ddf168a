using System.IO.Compression;
using System.Text;
using Judge.Grading.Packages;
using Judge.Grading.Problems;

namespace Judge.Grading.Tests;

/// <summary>Unit tests of reading problem packages (in memory): the format, and precise errors for broken packages.</summary>
public sealed class PackageReaderTests
{
    private static readonly Dictionary<string, string> Minimal = new()
    {
        ["problem.yaml"] = "name: Hello\n",
        ["data/sample/1.in"] = "",
        ["data/sample/1.ans"] = "Hello\n",
        ["data/secret/1.in"] = "",
        ["data/secret/1.ans"] = "Hello\n",
    };

    [Fact]
    public void A_missing_problem_yaml_is_named()
    {
        var error = Refused(Without(Minimal, "problem.yaml"));

        Assert.Equal("problem.yaml", error.File);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_yaml_is_reported_with_its_line()
    {
        var error = Refused(With(Minimal, "problem.yaml", "name: Hello\nlimits:\n  memory: [256\nvalidation: default\n"));

        Assert.Equal("problem.yaml", error.File);
        Assert.NotNull(error.Line);
        Assert.InRange(error.Line!.Value, 3, 4);
        Assert.StartsWith($"problem.yaml:{error.Line}: not valid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_of_the_wrong_kind_is_reported_with_its_line_and_key()
    {
        var error = Refused(With(Minimal, "problem.yaml", "name: Hello\nlimits:\n  memory: lots\n"));

        Assert.Equal("problem.yaml:3: 'limits.memory' must be a whole number of MiB of at least 1; got 'lots'", error.Message);
    }

    [Fact]
    public void An_input_without_its_answer_names_the_file()
    {
        var error = Refused(Without(Minimal, "data/secret/1.ans"));

        Assert.Equal("data/secret/1.in", error.File);
        Assert.Contains("1.ans", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_answer_without_its_input_names_the_file()
    {
        var error = Refused(With(Minimal, "data/secret/2.ans", "x"));

        Assert.Equal("data/secret/2.ans", error.File);
    }

    [Fact]
    public void No_test_data_at_all_is_refused()
    {
        var none = Without(Without(Without(Without(Minimal, "data/secret/1.in"), "data/secret/1.ans"), "data/sample/1.in"), "data/sample/1.ans");

        Assert.Equal("data/secret", Refused(none).File);
    }

    [Fact]
    public void A_package_with_samples_only_is_judged_on_them_with_a_warning()
    {
        var problem = Read(Without(Without(Minimal, "data/secret/1.in"), "data/secret/1.ans"));

        Assert.Equal(["sample/1"], problem.Data.Cases().Select(c => c.Name));
        Assert.Contains(problem.Warnings, w => w.StartsWith("data/secret: missing", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("validation: custom interactive\n", "legacy")]
    [InlineData("problem_format_version: 2023-07-draft\ntype: interactive\n", "2023-07-draft")]
    [InlineData("problem_format_version: 2023-07-draft\ntype: [pass-fail, interactive]\n", "2023-07-draft")]
    public void An_interactive_problem_has_its_output_validator_as_interactor(string yaml, string format)
    {
        var directory = format == "legacy" ? "output_validators/guess" : "output_validator";
        var problem = Read(With(With(Minimal, "problem.yaml", "name: Guess\n" + yaml), $"{directory}/interactor.cpp", "int main() { return 42; }"));

        Assert.True(problem.Interactive);
        Assert.Equal(OutputValidatorKind.Kattis, problem.Validator.Kind);
        Assert.False(problem.Limits.MultiPass);
    }

    [Fact]
    public void An_interactive_problem_without_an_interactor_is_refused_naming_the_directory()
    {
        var error = Refused(With(Minimal, "problem.yaml", "problem_format_version: 2023-07-draft\ntype: interactive\n"));

        Assert.Equal("output_validator", error.File);
        Assert.Contains("interactor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_groups_validator_arguments_come_from_its_own_testdata_yaml()
    {
        var files = With(With(With(With(With(Minimal, "problem.yaml", "problem_format_version: 2023-07-draft\n"),
            "data/secret/testdata.yaml", "output_validator_args: 'outer'\n"),
            "data/secret/inner/testdata.yaml", "output_validator_args: 'inner'\n"), "data/secret/inner/1.in", ""), "data/secret/inner/1.ans", "");

        var secret = (TestGroup<TestCaseData>)Read(files).Data.Children.Single(c => c.Name == "data/secret");
        var inner = (TestGroup<TestCaseData>)secret.Children.Single(c => c is TestGroup<TestCaseData>);

        Assert.Equal("outer", secret.Settings.OutputValidatorFlags);
        Assert.Equal("inner", inner.Settings.OutputValidatorFlags);
    }

    [Fact]
    public void A_legacy_multi_pass_problem_says_so_in_its_validation()
    {
        var files = With(With(Minimal, "problem.yaml", "validation: custom multi-pass\nlimits:\n  validation_passes: 26\n"),
            "output_validators/hangman/validate.py", "import sys\nsys.exit(42)\n");

        Assert.Equal(26, Read(files).Limits.ValidationPasses);
    }

    [Fact]
    public void A_multi_pass_problem_takes_its_pass_limit_from_the_limits()
    {
        var files = With(With(Minimal, "problem.yaml", "problem_format_version: 2023-07-draft\ntype: multi-pass\nlimits:\n  validation_passes: 3\n"),
            "output_validator/validator.py", "import sys\nsys.exit(42)\n");

        var problem = Read(files);

        Assert.Equal(3, problem.Limits.ValidationPasses);
        Assert.False(problem.Interactive);
    }

    [Theory]
    [InlineData("validation: fancy\n", 2, "validation must be 'default' or 'custom'")]
    [InlineData("validation: custom\n", 2, "no output_validators/ directory")]
    [InlineData("validator_flags: lenient\n", 2, "Unknown validator flag 'lenient'")]
    [InlineData("validator_flags: float_tolerance\n", 2, "needs a finite number")]
    [InlineData("type: submit-answer\n", 2, "'submit-answer' problems are not supported")]
    [InlineData("type: [pass-fail, scoring]\n", 2, "either pass-fail or scoring")]
    [InlineData("problem_format_version: 2099-01\n", 2, "unknown problem_format_version")]
    public void Unknown_or_unsupported_validation_is_refused_at_its_line(string yaml, int line, string reason)
    {
        var error = Refused(With(Minimal, "problem.yaml", "name: Hello\n" + yaml));

        Assert.Equal("problem.yaml", error.File);
        Assert.Equal(line, error.Line);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_validator_in_an_unsupported_language_is_refused_naming_its_directory()
    {
        var files = With(With(Minimal, "problem.yaml", "validation: custom\n"), "output_validators/check/check.rb", "exit 42");

        var error = Refused(files);

        Assert.Equal("output_validators/check", error.File);
        Assert.Contains("no C, C++ or Python source", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_output_validators_are_refused()
    {
        var files = With(With(With(Minimal, "problem.yaml", "validation: custom\n"), "output_validators/a/a.py", "x"), "output_validators/b/b.py", "x");

        Assert.Contains("one output validator", Refused(files).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_testdata_yaml_names_its_own_file_and_line()
    {
        var error = Refused(With(Minimal, "data/secret/testdata.yaml", "on_reject: sometimes\n"));

        Assert.Equal("data/secret/testdata.yaml", error.File);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void A_legacy_package_reads_with_its_defaults_groups_and_order()
    {
        var files = With(With(With(Minimal, "data/secret/10.in", "10"), "data/secret/10.ans", "ten"), "data/secret/2.in", "2");
        files = With(files, "data/secret/2.ans", "two");
        files = With(files, "submissions/accepted/hello.py", "print('Hello')");
        files = With(files, "submissions/wrong_answer/Bye.java", "class Bye {}");

        var problem = Read(files);

        Assert.Equal("Hello", problem.Name);
        Assert.Equal("legacy", problem.Format);
        Assert.Equal(ProblemType.PassFail, problem.Type);
        Assert.Null(problem.Limits.TimeLimitMs);
        Assert.Equal(5.0, problem.Limits.TimeMultiplier);
        Assert.Equal(2048L << 20, problem.Limits.MemoryBytes);
        Assert.Equal(OutputValidatorKind.Default, problem.Validator.Kind);
        Assert.Equal(["sample/1", "secret/1", "secret/10", "secret/2"], problem.Data.Cases().Select(c => c.Name));
        Assert.True(problem.Data.Cases().First().IsSample);
        Assert.Equal(["accepted", "wrong_answer"], problem.Submissions.Select(s => s.Folder));
        Assert.Equal(["python", "java"], problem.Submissions.Select(s => s.Language));
    }

    [Fact]
    public void Submissions_Judge_cannot_judge_are_left_out_with_a_warning_naming_each_not_refused()
    {
        var files = With(Minimal, "submissions/accepted/py3.py", "#!/usr/bin/env python3\nprint(1)\n");
        files = With(files, "submissions/accepted/py2.py", "#!/usr/bin/env python2\nprint 1\n");
        files = With(files, "submissions/accepted/notes.txt", "not a program");
        files = With(files, "submissions/accepted/nested/src/main.py", "import helper\n");
        files = With(files, "submissions/accepted/prose/readme.txt", "no program here\n");
        files = With(files, "submissions/wrong_answer/sol.pl", "#!/usr/bin/perl\nprint 2;\n");

        var problem = Read(files);

        Assert.Equal(["submissions/accepted/py3.py", "submissions/wrong_answer/sol.pl"], problem.Submissions.Select(s => s.Path).Order());
        Assert.Equal("perl", problem.Submissions.Single(s => s.Folder == "wrong_answer").Language);
        Assert.Equal(4, problem.Warnings.Count);
        Assert.Contains(problem.Warnings, w => w.StartsWith("submissions/accepted/py2.py: ", StringComparison.Ordinal) && w.Contains("Python 2", StringComparison.Ordinal));
        Assert.Contains(problem.Warnings, w => w.StartsWith("submissions/accepted/notes.txt: ", StringComparison.Ordinal) && w.Contains("'.txt'", StringComparison.Ordinal));
        Assert.Contains(problem.Warnings, w => w.StartsWith("submissions/accepted/nested/: ", StringComparison.Ordinal) && w.Contains("directly", StringComparison.Ordinal));
        Assert.Contains(problem.Warnings, w => w.StartsWith("submissions/accepted/prose/: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Submissions_json_names_a_directorys_entry_point()
    {
        var files = With(Minimal, "submissions/accepted/js/main.mjs", "import { f } from './lib.mjs';\n");
        files = With(files, "submissions/accepted/js/lib.mjs", "export function f() {}\n");
        files = With(files, "submissions/accepted/js/zz.mjs", "console.log(1);\n");
        files = With(files, "submissions.json", "{\"submissions/accepted/js/\": {\"entry_point\": \"zz.mjs\"}}");

        var submission = Read(files).Submissions.Single();

        Assert.Equal("javascript", submission.Language);
        Assert.Equal("zz.mjs", submission.EntryPoint);
    }

    [Fact]
    public void A_directory_of_files_is_one_submission_in_the_language_of_most_of_them_starting_from_the_file_named_like_it()
    {
        var files = With(Minimal, "submissions/accepted/guess/util.py", "X = 1\n");
        files = With(files, "submissions/accepted/guess/guess.py", "import util\n");
        files = With(files, "submissions/accepted/guess/notes.txt", "how it works\n");

        var submission = Read(files).Submissions.Single();

        Assert.Equal("submissions/accepted/guess", submission.Path);
        Assert.Equal("python", submission.Language);
        Assert.Equal("guess.py", submission.EntryPoint);
        Assert.Equal(3, submission.Files!.Count);
        Assert.Equal("import util\n", System.Text.Encoding.UTF8.GetString(submission.Source));
    }

    [Fact]
    public void Unknown_keys_in_problem_yaml_and_testdata_yaml_are_warnings_naming_file_and_line()
    {
        var files = With(Minimal, "problem.yaml", "name: Hello\nlimits:\n  memory: 256\n  speed: 3\ncolour: blue\n");
        files = With(files, "data/secret/testdata.yaml", "on_reject: continue\nshuffle: true\n");

        var problem = Read(files);

        Assert.Equal(
            ["data/secret/testdata.yaml:2: unknown key 'shuffle', ignored", "problem.yaml:4: unknown key 'limits.speed', ignored", "problem.yaml:5: unknown key 'colour', ignored"],
            problem.Warnings.Order(StringComparer.Ordinal));
        Assert.Equal(256L << 20, problem.Limits.MemoryBytes);
    }

    [Fact]
    public void Limits_come_from_problem_yaml_or_a_timelimit_file()
    {
        var given = Read(With(Minimal, "problem.yaml", "problem_format_version: 2025-09\nname: X\nlimits:\n  time_limit: 1.5\n  memory: 256\n  output: 2\n"));
        var file = Read(With(Minimal, ".timelimit", "3\n"));

        Assert.Equal(1500, given.Limits.TimeLimitMs);
        Assert.Equal(256L << 20, given.Limits.MemoryBytes);
        Assert.Equal(2L << 20, given.Limits.OutputBytes);
        Assert.Equal(2.0, given.Limits.TimeMultiplier);
        Assert.Equal(3000, file.Limits.TimeLimitMs);
    }

    [Theory]
    [InlineData(0.4, 5.0, 1000, 2000)]
    [InlineData(0.1, 5.0, 1000, 1000)]
    [InlineData(0.35, 2.0, 1000, 1000)]
    [InlineData(0.61, 2.0, 1000, 2000)]
    [InlineData(0.61, 2.0, 100, 1300)]
    public void A_derived_time_limit_rounds_up_to_the_resolution(double maxAcceptedSeconds, double multiplier, int resolutionMs, int expectedMs)
    {
        var limits = new ProblemLimits { TimeMultiplier = multiplier, TimeResolutionMs = resolutionMs };

        Assert.Equal(expectedMs, limits.DeriveTimeLimitMs(maxAcceptedSeconds * 1000));
    }

    [Fact]
    public void Validator_flags_and_group_flags_are_kept()
    {
        var problem = Read(With(With(Minimal, "problem.yaml", "validator_flags: float_tolerance 1e-6\n"),
            "data/secret/testdata.yaml", "output_validator_flags: case_sensitive\n"));

        Assert.Equal("float_tolerance 1e-6", problem.ValidatorFlags);
        var secret = problem.Data.Children.OfType<TestGroup<TestCaseData>>().Single(g => g.Name == "data/secret");
        Assert.Equal("case_sensitive", secret.Settings.OutputValidatorFlags);
    }

    [Fact]
    public void A_kattis_validator_and_a_testlib_checker_are_told_apart()
    {
        var kattis = Read(With(With(Minimal, "problem.yaml", "validation: custom\n"), "output_validators/v/validate.py", "import sys\nsys.exit(42)"));
        var testlib = Read(With(With(With(Minimal, "problem.yaml", "validation: custom score\n"), "output_validators/chk/check.cpp", "#include \"testlib.h\"\nint main(){}"),
            "output_validators/chk/testlib.h", "// testlib"));

        Assert.Equal(OutputValidatorKind.Kattis, kattis.Validator.Kind);
        Assert.Equal("python", kattis.Validator.Language);
        Assert.Equal(["validate.py"], kattis.Validator.Files.Select(f => f.Path));
        Assert.Equal(OutputValidatorKind.Testlib, testlib.Validator.Kind);
        Assert.Equal("cpp", testlib.Validator.Language);
        Assert.True(testlib.ValidatorScores);
    }

    [Fact]
    public void A_legacy_olympiad_package_maps_its_testdata_yaml_onto_group_settings()
    {
        var files = new Dictionary<string, string>(Minimal)
        {
            ["problem.yaml"] = "type: scoring\n",
            ["data/testdata.yaml"] = "on_reject: continue\nrange: 0 100\ngrader_flags: ignore_sample\n",
            ["data/sample/testdata.yaml"] = "accept_score: 0\nrange: 0 0\ngrader_flags: first_error\non_reject: continue\n",
            ["data/secret/testdata.yaml"] = "on_reject: continue\nrange: 0 100\ngrader_flags: first_error accept_if_any_accepted\n",
            ["data/secret/g1/testdata.yaml"] = "on_reject: break\naccept_score: 40\nrange: 0 40\ngrader_flags: min\n",
            ["data/secret/g1/1.in"] = "1",
            ["data/secret/g1/1.ans"] = "1",
            ["data/secret/g2/testdata.yaml"] = "on_reject: break\naccept_score: 60\nrange: 0 60\ngrader_flags: min\n",
            ["data/secret/g2/1.in"] = "2",
            ["data/secret/g2/1.ans"] = "2",
        };
        files.Remove("data/secret/1.in");
        files.Remove("data/secret/1.ans");

        var problem = Read(files);

        Assert.Equal(ProblemType.Scoring, problem.Type);
        Assert.Equal(100, problem.MaxScore);
        var g1 = problem.Data.Children.OfType<TestGroup<TestCaseData>>().Single(g => g.Name == "data/secret")
            .Children.OfType<TestGroup<TestCaseData>>().First();
        Assert.Equal("data/secret/g1", g1.Name);
        Assert.Equal(new GroupSettings { StopOnReject = true, AcceptScore = 40, RangeMin = 0, RangeMax = 40, ScoreMode = ScoreMode.Min }, g1.Settings);
    }

    [Fact]
    public void A_2025_scoring_package_gives_each_case_its_share_of_the_group_score()
    {
        var files = new Dictionary<string, string>(Minimal)
        {
            ["problem.yaml"] = "problem_format_version: 2025-09\nname: S\ntype: scoring\nlimits:\n  time_limit: 1\n",
            ["data/secret/a/test_group.yaml"] = "max_score: 30\nscore_aggregation: sum\n",
            ["data/secret/a/1.in"] = "1", ["data/secret/a/1.ans"] = "1", ["data/secret/a/2.in"] = "2", ["data/secret/a/2.ans"] = "2",
            ["data/secret/b/test_group.yaml"] = "max_score: 70\nscore_aggregation: min\n",
            ["data/secret/b/1.in"] = "3", ["data/secret/b/1.ans"] = "3",
        };
        files.Remove("data/secret/1.in");
        files.Remove("data/secret/1.ans");

        var problem = Read(files);

        var secret = problem.Data.Children.OfType<TestGroup<TestCaseData>>().Single(g => g.Name == "data/secret");
        var groups = secret.Children.OfType<TestGroup<TestCaseData>>().ToList();
        Assert.Equal(15, groups[0].Settings.AcceptScore);
        Assert.False(groups[0].Settings.StopOnReject);
        Assert.Equal(70, groups[1].Settings.AcceptScore);
        Assert.Equal(ScoreMode.Min, groups[1].Settings.ScoreMode);
        Assert.Equal(100, problem.MaxScore);
    }

    [Fact]
    public async Task A_2025_scoring_package_keeps_the_score_of_the_groups_a_submission_passes()
    {
        var files = new Dictionary<string, string>(Minimal)
        {
            ["problem.yaml"] = "problem_format_version: 2025-09\nname: S\ntype: scoring\n",
            ["data/secret/a/test_group.yaml"] = "max_score: 30\n",
            ["data/secret/a/1.in"] = "1", ["data/secret/a/1.ans"] = "1",
            ["data/secret/b/test_group.yaml"] = "max_score: 70\nscore_aggregation: min\n",
            ["data/secret/b/1.in"] = "3", ["data/secret/b/1.ans"] = "3",
        };
        files.Remove("data/secret/1.in");
        files.Remove("data/secret/1.ans");
        var problem = Read(files);

        var partial = await Judge.Grading.Scoring.ScoreEngine.EvaluateAsync(problem.Data, problem.Type, (c, _) =>
            Task.FromResult(new Judge.Grading.Scoring.CaseOutcome(c.Name.StartsWith("secret/b", StringComparison.Ordinal)
                ? Judge.Grading.Verdicts.Verdict.WrongAnswer : Judge.Grading.Verdicts.Verdict.Accepted)));

        Assert.Equal((Judge.Grading.Verdicts.Verdict.Accepted, 30.0), (partial.Verdict, partial.Score));
    }

    [Fact]
    public void A_2025_group_without_an_aggregation_is_pass_fail()
    {
        var files = new Dictionary<string, string>(Minimal)
        {
            ["problem.yaml"] = "problem_format_version: 2025-09\nname: S\ntype: scoring\n",
            ["data/secret/a/test_group.yaml"] = "max_score: 40\n",
            ["data/secret/a/1.in"] = "1", ["data/secret/a/1.ans"] = "1", ["data/secret/a/2.in"] = "2", ["data/secret/a/2.ans"] = "2",
        };

        var group = Read(files).Data.Children.OfType<TestGroup<TestCaseData>>().Single(g => g.Name == "data/secret")
            .Children.OfType<TestGroup<TestCaseData>>().Single();

        Assert.Equal(40, group.Settings.AcceptScore);
        Assert.Equal(ScoreMode.Min, group.Settings.ScoreMode);
        Assert.True(group.Settings.StopOnReject);
    }

    [Fact]
    public async Task A_2025_scoring_package_without_groups_shares_100_points_among_its_secret_cases()
    {
        var files = With(With(Minimal, "problem.yaml", "problem_format_version: 2025-09\nname: S\ntype: scoring\n"), "data/secret/2.in", "2");
        files = With(files, "data/secret/2.ans", "2");
        var problem = Read(files);

        var half = await Judge.Grading.Scoring.ScoreEngine.EvaluateAsync(problem.Data, problem.Type, (c, _) =>
            Task.FromResult(new Judge.Grading.Scoring.CaseOutcome(c.Name == "secret/2" ? Judge.Grading.Verdicts.Verdict.WrongAnswer : Judge.Grading.Verdicts.Verdict.Accepted)));

        Assert.Equal(100, problem.MaxScore);
        Assert.Equal(50, half.Score);
    }

    [Fact]
    public void A_zipped_package_directory_is_unwrapped_and_its_folder_named()
    {
        using var zip = Zip(Minimal.ToDictionary(kv => "hello/" + kv.Key, kv => kv.Value));

        var (files, top) = PackageFiles.FromZip(zip);

        Assert.Equal("hello", top);
        Assert.Equal("Hello", ProblemPackageReader.Read(files).Name);
    }

    [Fact]
    public void An_archive_with_a_path_escaping_the_package_is_refused()
    {
        using var zip = Zip(new Dictionary<string, string> { ["../evil.sh"] = "rm -rf /" });

        Assert.Contains("unsafe path", Assert.Throws<PackageException>(() => PackageFiles.FromZip(zip)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Something_that_is_not_a_zip_is_refused()
    {
        using var notZip = new MemoryStream("hello"u8.ToArray());

        Assert.Contains("not a zip archive", Assert.Throws<PackageException>(() => PackageFiles.FromZip(notZip)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_package_leaves_out_a_symbolic_link_that_leads_nowhere_and_follows_one_that_leads_to_a_file()
    {
        var directory = Directory.CreateTempSubdirectory("judge-package-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "problem.yaml"), "name: Links\n");
            File.CreateSymbolicLink(Path.Combine(directory.FullName, "problem.pdf"), "../../doc/nowhere.pdf");
            File.CreateSymbolicLink(Path.Combine(directory.FullName, "copy.yaml"), "problem.yaml");

            var files = PackageFiles.FromDirectory(directory.FullName);

            Assert.Equal(["copy.yaml", "problem.yaml"], files.Paths.Order());
            Assert.Equal("name: Links\n", System.Text.Encoding.UTF8.GetString(files.Read("copy.yaml")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static ProblemDefinition Read(Dictionary<string, string> files) =>
        ProblemPackageReader.Read(new PackageFiles(files.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value))));

    private static PackageException Refused(Dictionary<string, string> files) => Assert.Throws<PackageException>(() => Read(files));

    private static Dictionary<string, string> With(Dictionary<string, string> files, string path, string content) =>
        new(files) { [path] = content };

    private static Dictionary<string, string> Without(Dictionary<string, string> files, string path)
    {
        var copy = new Dictionary<string, string>(files);
        copy.Remove(path);
        return copy;
    }

    private static MemoryStream Zip(Dictionary<string, string> files)
    {
        var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                using var entry = new StreamWriter(archive.CreateEntry(path).Open());
                entry.Write(content);
            }
        }

        buffer.Position = 0;
        return buffer;
    }
}
