using System.Globalization;
using System.Text;
using Judge.Grading.Checkers;
using Judge.Grading.Languages;
using Judge.Grading.Problems;

namespace Judge.Grading.Packages;

/// <summary>
/// Reads a problem package in the Kattis format: legacy (problemtools), and the 2023-07 draft and 2025-09
/// in the shapes packages of those versions take, interactive and multi-pass problems included. What Judge cannot judge
/// (submit-answer problems, several validators, build scripts) is refused by name rather than judged wrongly.
/// </summary>
public static class ProblemPackageReader
{
    private const string ProblemYaml = "problem.yaml";

    public static ProblemDefinition Read(PackageFiles files)
    {
        if (!files.Exists(ProblemYaml))
        {
            throw new PackageException(ProblemYaml, null, "missing: a problem package has problem.yaml at its root");
        }

        var yaml = YamlMap.Parse(ProblemYaml, files.Read(ProblemYaml));
        var format = Format(yaml);
        var legacy = format.StartsWith("legacy", StringComparison.Ordinal);
        var type = Type(yaml, legacy, out var validatorScores, out var interactive, out var multiPass);
        var limits = Limits(yaml, files, legacy, multiPass);
        var flags = yaml.Text("validator_flags") ?? "";
        var validator = Validator(files, yaml, legacy);
        if ((interactive || multiPass) && validator.Kind != OutputValidatorKind.Kattis)
        {
            var what = interactive ? "an interactive problem's interactor" : "a multi-pass problem's output validator";
            throw validator.Kind == OutputValidatorKind.Default
                ? new PackageException(legacy ? "output_validators" : "output_validator", null, $"missing: {what} is the package's output validator")
                : new PackageException(legacy ? "output_validators" : "output_validator", null, $"{what} must use the Kattis interface (testlib's is not supported)");
        }

        if (validator.Kind == OutputValidatorKind.Default)
        {
            if (!DefaultValidatorFlags.TryParse(flags, out _, out var error))
            {
                throw yaml.Error("validator_flags", error);
            }

            validatorScores = false;
        }
        else if (type == ProblemType.Scoring)
        {
            // A scoring problem's custom validator gives the score: in every newer format, and as DOMjudge reads a legacy
            // package that says 'type: scoring' without 'validation: custom score'.
            validatorScores = true;
        }

        var data = Data(files, yaml, legacy, type, validator.Kind, flags, out var dataWarning);
        var (submissions, warnings) = Submissions(files);
        return new ProblemDefinition(Name(yaml), format, type, limits, flags, validator, validatorScores, data, submissions,
            [.. dataWarning is null ? [] : new[] { dataWarning }, .. UnknownKeyWarnings(files, yaml), .. warnings])
        {
            Interactive = interactive,
        };
    }

    private static string Format(YamlMap yaml) => yaml.Text("problem_format_version") switch
    {
        null or "legacy" => "legacy",
        "legacy-icpc" => "legacy-icpc",
        "2023-07-draft" or "2023-07" or "draft" => "2023-07-draft",
        "2025-09" => "2025-09",
        var other => throw yaml.Error("problem_format_version",
            $"unknown problem_format_version '{other}' (known: legacy, legacy-icpc, 2023-07-draft, 2025-09)"),
    };

    private static string Name(YamlMap yaml)
    {
        if (yaml.IsMap("name") && yaml.Map("name") is { } names)
        {
            return names.Text("en") ?? names.Keys.Select(names.Text).FirstOrDefault(n => !string.IsNullOrWhiteSpace(n)) ?? "";
        }

        return yaml.Text("name") ?? "";
    }

    private static ProblemType Type(YamlMap yaml, bool legacy, out bool validatorScores, out bool interactive, out bool multiPass)
    {
        validatorScores = false;
        var types = (yaml.List("type") ?? ["pass-fail"]).SelectMany(t => t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (var type in types)
        {
            if (type is "submit-answer")
            {
                throw yaml.Error("type", $"'{type}' problems are not supported");
            }

            if (type is not ("pass-fail" or "scoring" or "interactive" or "multi-pass"))
            {
                throw yaml.Error("type", $"unknown problem type '{type}' (known: pass-fail, scoring, interactive, multi-pass)");
            }
        }

        if (types.Contains("pass-fail") && types.Contains("scoring"))
        {
            throw yaml.Error("type", "a problem is either pass-fail or scoring, not both");
        }

        interactive = types.Contains("interactive");
        multiPass = types.Contains("multi-pass");

        if (legacy && yaml.Text("validation") is { } validation)
        {
            var words = validation.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || words[0] is not ("default" or "custom") || words.Skip(1).Any(w => w is not ("score" or "interactive" or "multi-pass")))
            {
                throw yaml.Error("validation", $"validation must be 'default' or 'custom', optionally followed by 'score', 'interactive' or 'multi-pass'; got '{validation}'");
            }

            interactive |= words.Contains("interactive");
            multiPass |= words.Contains("multi-pass");
            validatorScores = words.Contains("score");
        }

        return types.Contains("scoring") ? ProblemType.Scoring : ProblemType.PassFail;
    }

    private static ProblemLimits Limits(YamlMap yaml, PackageFiles files, bool legacy, bool multiPass)
    {
        var limits = new ProblemLimits { TimeMultiplier = legacy ? 5.0 : 2.0, ValidationPasses = multiPass ? 2 : 1 };
        if (yaml.Map("limits") is { } map)
        {
            limits = limits with
            {
                TimeLimitMs = map.Number("time_limit", min: 0.001, max: 3600) is { } seconds ? (int)Math.Ceiling(seconds * 1000) : null,
                TimeMultiplier = map.Number("time_multiplier", min: 1) ?? map.Map("time_multipliers")?.Number("ac_to_time_limit", min: 1) ?? limits.TimeMultiplier,
                TimeResolutionMs = map.Number("time_resolution", min: 0.001, max: 60) is { } resolution ? (int)Math.Ceiling(resolution * 1000) : 1000,
                MemoryBytes = (map.WholeNumber("memory", 1, "MiB") ?? 2048) << 20,
                OutputBytes = (map.WholeNumber("output", 1, "MiB") ?? 8) << 20,
                ValidationTimeMs = (int)(map.WholeNumber("validation_time", 1, "seconds") ?? 60) * 1000,
                ValidationMemoryBytes = (map.WholeNumber("validation_memory", 1, "MiB") ?? 2048) << 20,
                ValidationPasses = multiPass ? (int)(map.WholeNumber("validation_passes", 2, "passes") ?? 2) : 1,
            };
        }

        // DOMjudge and BAPCtools packages may give the time limit in a .timelimit file.
        if (limits.TimeLimitMs is null && files.Exists(".timelimit"))
        {
            var text = Encoding.UTF8.GetString(files.Read(".timelimit")).Trim();
            limits = limits with
            {
                TimeLimitMs = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 3600
                    ? (int)Math.Ceiling(seconds * 1000)
                    : throw new PackageException(".timelimit", 1, $"must hold a time limit in seconds; got '{text}'"),
            };
        }

        return limits;
    }

    private static OutputValidator Validator(PackageFiles files, YamlMap yaml, bool legacy)
    {
        var custom = !legacy || yaml.Text("validation")?.StartsWith("custom", StringComparison.Ordinal) == true;
        var programs = new List<(string Root, List<string> Files)>();
        if (files.DirectoryExists("output_validator"))
        {
            programs.Add(("output_validator", [.. files.Under("output_validator")]));
        }

        if (files.DirectoryExists("output_validators"))
        {
            // Each file or subdirectory directly inside output_validators/ is one program.
            foreach (var group in files.Under("output_validators").GroupBy(p => string.Join('/', p.Split('/').Take(2))))
            {
                programs.Add((group.Key, [.. group]));
            }
        }

        if (!custom)
        {
            // Legacy problems with validation: default ignore any validator they carry, as problemtools does.
            return OutputValidator.Default;
        }

        if (programs.Count == 0)
        {
            if (legacy)
            {
                throw yaml.Error("validation", "validation is 'custom' but the package has no output_validators/ directory");
            }

            return OutputValidator.Default;
        }

        if (programs.Count > 1)
        {
            throw new PackageException(programs[1].Root, null,
                $"Judge supports one output validator; the package has {programs.Count}: {string.Join(", ", programs.Select(p => p.Root))}");
        }

        var (root, paths) = programs[0];
        if (paths.FirstOrDefault(p => Path.GetFileName(p) is "build" or "run") is { } script)
        {
            throw new PackageException(script, null, "validators with build or run scripts are not supported; give the validator as C, C++ or Python source");
        }

        var sources = paths.Where(p => LanguageRegistry.ForFile(p) is { } l && l.Id is "c" or "cpp" or "python").ToList();
        var languages = sources.Select(p => LanguageRegistry.ForFile(p)!.Id).Distinct().ToList();
        if (languages.Count != 1)
        {
            throw new PackageException(root, null, languages.Count == 0
                ? "the output validator has no C, C++ or Python source file"
                : $"the output validator mixes languages ({string.Join(", ", languages)})");
        }

        if (languages[0] == "python" && sources.Count > 1)
        {
            throw new PackageException(root, null, "a Python output validator must be a single .py file");
        }

        var validatorFiles = paths.Select(p => new ValidatorFile(p[(root.Length + (p.Length > root.Length ? 1 : 0))..] is { Length: > 0 } rel ? rel : Path.GetFileName(p), files.Read(p))).ToList();
        var testlib = validatorFiles.Any(f => Path.GetFileName(f.Path) == "testlib.h")
            || sources.Any(p => Encoding.UTF8.GetString(files.Read(p)).Contains("testlib.h", StringComparison.Ordinal));
        return new OutputValidator(testlib ? OutputValidatorKind.Testlib : OutputValidatorKind.Kattis, languages[0], validatorFiles);
    }

    /// <summary>The test data tree; a package with samples only is judged on them, with a warning, as DOMjudge judges it.</summary>
    private static TestGroup<TestCaseData> Data(
        PackageFiles files, YamlMap problem, bool legacy, ProblemType type, OutputValidatorKind validator, string flags, out string? warning)
    {
        var samplesOnly = !files.DirectoryExists("data/secret");
        if (samplesOnly && !files.DirectoryExists("data/sample"))
        {
            throw new PackageException("data/secret", null, "missing: a package needs secret test data (or at least data/sample, to be judged on)");
        }

        warning = samplesOnly ? "data/secret: missing; the problem is judged on data/sample alone" : null;

        var rootConfig = GroupConfig.Defaults(legacy, type);
        if (problem.Map("grading") is { } deprecated)
        {
            rootConfig = rootConfig.Apply(deprecated, legacy: true);
        }

        var data = ReadGroup(files, "data", rootConfig, legacy, type, validator, flags, depth: 0);
        if (!data.Cases().Any(c => samplesOnly || !c.IsSample))
        {
            throw new PackageException(samplesOnly ? "data/sample" : "data/secret", null,
                "has no test cases (a test case is a .in file with a .ans file of the same name)");
        }

        return data;
    }

    private static TestGroup<TestCaseData> ReadGroup(
        PackageFiles files, string directory, GroupConfig inherited, bool legacy, ProblemType type, OutputValidatorKind validator, string flags, int depth)
    {
        var config = inherited;
        foreach (var name in new[] { "testdata.yaml", "test_group.yaml" })
        {
            var path = $"{directory}/{name}";
            if (files.Exists(path))
            {
                config = config.Apply(YamlMap.Parse(path, files.Read(path)), legacy);
            }
        }

        // 2025-09: secret is where a scoring problem's score comes from; it defaults to a maximum of 100, summed.
        if (!legacy && type == ProblemType.Scoring && directory == "data/secret")
        {
            config = config with { MaxScore = config.MaxScore ?? 100, Aggregation = config.Aggregation ?? "sum" };
        }

        var entries = files.Under(directory).Select(p => p[(directory.Length + 1)..]).ToList();
        var subdirectories = entries.Where(e => e.Contains('/', StringComparison.Ordinal)).Select(e => e.Split('/')[0]).Distinct(StringComparer.Ordinal);
        var here = entries.Where(e => !e.Contains('/', StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var children = new List<(string Sort, TestNode Node)>();
        foreach (var input in here.Where(e => e.EndsWith(".in", StringComparison.Ordinal)))
        {
            var stem = input[..^3];
            if (!here.Contains(stem + ".ans"))
            {
                throw new PackageException($"{directory}/{input}", null, $"has no answer file {stem}.ans beside it");
            }

            var name = $"{directory}/{stem}"["data/".Length..];
            var isSample = name.StartsWith("sample/", StringComparison.Ordinal);
            children.Add((stem, new TestCaseData(name, files.Read($"{directory}/{input}"), files.Read($"{directory}/{stem}.ans"), isSample)));
        }

        foreach (var answer in here.Where(e => e.EndsWith(".ans", StringComparison.Ordinal)))
        {
            if (!here.Contains(answer[..^4] + ".in"))
            {
                throw new PackageException($"{directory}/{answer}", null, $"has no input file {answer[..^4]}.in beside it");
            }
        }

        foreach (var subdirectory in subdirectories)
        {
            // Top level: only sample/ and secret/ are judged (invalid_input/, valid_output/ and the like test validators).
            if (depth == 0 && subdirectory is not ("sample" or "secret"))
            {
                continue;
            }

            var group = ReadGroup(files, $"{directory}/{subdirectory}", config.ForChild(), legacy, type, validator, flags, depth + 1);
            if (group.Children.Count > 0)
            {
                children.Add((subdirectory, group));
            }
        }

        var settings = config.Settings(children.Count(c => c.Node is TestCaseData));
        return new TestGroup<TestCaseData>(directory, settings, [.. children.OrderBy(c => c.Sort, StringComparer.Ordinal).Select(c => c.Node)]);
    }

    /// <summary>Keys of problem.yaml (any format version) that problemtools knows; others are ignored, with a warning.</summary>
    private static readonly HashSet<string> ProblemKeys = new(StringComparer.Ordinal)
    {
        "problem_format_version", "type", "name", "uuid", "version", "credits", "author", "source", "source_url", "license", "rights_owner",
        "limits", "validation", "validator_flags", "keywords", "languages", "constants", "embargo_until", "allow_file_writing", "grading",
    };

    private static readonly HashSet<string> LimitKeys = new(StringComparer.Ordinal)
    {
        "time_multiplier", "time_multipliers", "time_safety_margin", "time_limit", "time_resolution", "memory", "output", "code",
        "compilation_time", "compilation_memory", "validation_time", "validation_memory", "validation_output", "validation_passes",
    };

    private static readonly HashSet<string> GroupKeys = new(StringComparer.Ordinal)
    {
        "on_reject", "grading", "grader_flags", "input_validator_flags", "output_validator_flags", "input_validator_args", "output_validator_args",
        "accept_score", "reject_score", "range", "scoring", "static_validation", "full_feedback", "max_score",
    };

    /// <summary>As problemtools warns: a key the format does not have, in problem.yaml, testdata.yaml or test_group.yaml, named with its line.</summary>
    private static IEnumerable<string> UnknownKeyWarnings(PackageFiles files, YamlMap problemYaml)
    {
        var found = problemYaml.UnknownKeys(ProblemKeys).Select(k => (problemYaml.File, k.Key, k.Line)).ToList();
        if (problemYaml.IsMap("limits"))
        {
            found.AddRange(problemYaml.Map("limits")!.UnknownKeys(LimitKeys).Select(k => (problemYaml.File, k.Key, k.Line)));
        }

        foreach (var path in files.Under("data").Where(p => Path.GetFileName(p) is "testdata.yaml" or "test_group.yaml"))
        {
            var group = YamlMap.Parse(path, files.Read(path));
            found.AddRange(group.UnknownKeys(GroupKeys).Select(k => (path, k.Key, k.Line)));
        }

        return found.Select(f => $"{f.Item1}:{f.Line}: unknown key '{f.Key}', ignored");
    }

    /// <summary>The single-file submissions in a language Judge has, and a warning for each file or program left out.</summary>
    private static (List<PackageSubmission> Submissions, List<string> Warnings) Submissions(PackageFiles files)
    {
        var submissions = new List<PackageSubmission>();
        var warnings = new List<string>();
        var entryPoints = EntryPoints(files);
        foreach (var program in files.Under("submissions").Where(p => p.Split('/').Length > 3).GroupBy(p => string.Join('/', p.Split('/').Take(3))))
        {
            if (MultiFile(files, program.Key, [.. program], entryPoints.GetValueOrDefault(program.Key), warnings) is { } submission)
            {
                submissions.Add(submission);
            }
        }

        foreach (var path in files.Under("submissions"))
        {
            var parts = path.Split('/');
            if (parts.Length != 3)
            {
                continue;
            }

            var source = files.Read(path);
            var head = System.Text.Encoding.UTF8.GetString(source.AsSpan(0, Math.Min(source.Length, 256)));
            if (LanguageRegistry.ForFile(path, head) is not { } language)
            {
                warnings.Add(LanguageRegistry.ForFile(path) is null
                    ? $"{path}: not judged: no language Judge has uses the extension '{Path.GetExtension(path)}'"
                    : $"{path}: not judged: its shebang asks for Python 2, which no sandbox has");
                continue;
            }

            submissions.Add(new PackageSubmission(path, parts[1], language.Id, source));
        }

        return (submissions, warnings);
    }

    /// <summary>
    /// A submission of several files (a directory under its folder, as the Kattis format and DOMjudge allow): its language is
    /// that of most of its source files, its entry point chosen by <see cref="LanguageRegistry.ForFiles"/> with the directory's name.
    /// </summary>
    private static PackageSubmission? MultiFile(PackageFiles files, string directory, List<string> paths, string? entryPoint, List<string> warnings)
    {
        if (paths.Any(p => p.Split('/').Length > 4))
        {
            warnings.Add($"{directory}/: not judged: a submission's files must all be directly in its directory");
            return null;
        }

        var sources = paths.Select(p => new SubmissionFile(Path.GetFileName(p), files.Read(p))).ToList();
        if (LanguageRegistry.ForSources(sources) is not { } language)
        {
            warnings.Add($"{directory}/: not judged: none of its files is in a language Judge has");
            return null;
        }

        var entry = LanguageRegistry.ForFiles(language, sources, entryPoint ?? Path.GetFileName(directory)).SourceFileName;
        var source = sources.First(f => f.Name == entry).Content;
        return new PackageSubmission(directory, directory.Split('/')[1], language.Id, source) { Files = sources, EntryPoint = entry };
    }

    /// <summary>
    /// Entry points a package names for its submission directories, in DOMjudge's submissions.json
    /// (<c>{"submissions/accepted/dir/": {"entry_point": "main.py"}}</c>), by directory.
    /// </summary>
    private static Dictionary<string, string> EntryPoints(PackageFiles files)
    {
        const string file = "submissions.json";
        var entryPoints = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!files.Exists(file))
        {
            return entryPoints;
        }

        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(files.Read(file));
            foreach (var submission in json.RootElement.EnumerateObject())
            {
                if (submission.Value.ValueKind == System.Text.Json.JsonValueKind.Object
                    && submission.Value.TryGetProperty("entry_point", out var entry) && entry.GetString() is { Length: > 0 } name)
                {
                    entryPoints[submission.Name.TrimEnd('/')] = name;
                }
            }
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new PackageException(file, (int?)e.LineNumber + 1, $"not valid JSON: {e.Message}");
        }

        return entryPoints;
    }

    /// <summary>A group's effective testdata.yaml settings, merged key by key from its ancestors (as problemtools does).</summary>
    private sealed record GroupConfig(
        bool StopOnReject, VerdictMode VerdictMode, bool AcceptIfAnyAccepted, ScoreMode ScoreMode, bool IgnoreSample,
        double AcceptScore, double RejectScore, double RangeMin, double RangeMax, string OutputValidatorFlags,
        double? MaxScore, string? Aggregation, bool Legacy)
    {
        public static GroupConfig Defaults(bool legacy, ProblemType type) =>
            legacy || type == ProblemType.PassFail
                ? new(true, VerdictMode.WorstError, false, ScoreMode.Sum, false, 1, 0, double.NegativeInfinity, double.PositiveInfinity, "", null, null, legacy)
                // 2025-09: the score is secret's (samples never score), secret defaults to sum with max 100.
                : new(false, VerdictMode.FirstError, false, ScoreMode.Sum, true, 1, 0, double.NegativeInfinity, double.PositiveInfinity, "", null, null, legacy);

        /// <summary>What a subgroup starts from: keys that are not inherited in newer formats are reset.</summary>
        public GroupConfig ForChild() => Legacy ? this : this with { IgnoreSample = false, MaxScore = null, Aggregation = null };

        public GroupConfig Apply(YamlMap yaml, bool legacy)
        {
            var config = this;
            if (!yaml.IsMap("grading") && yaml.Text("grading") is { } grading && grading != "default")
            {
                throw yaml.Error("grading", "custom graders are not supported");
            }

            if (yaml.Text("on_reject") is { } onReject)
            {
                config = config with
                {
                    StopOnReject = onReject switch
                    {
                        "break" or "first_error" => true,
                        "continue" or "grade" or "worst_error" => false,
                        _ => throw yaml.Error("on_reject", $"on_reject must be 'break' or 'continue'; got '{onReject}'"),
                    },
                };
            }

            if (yaml.Words("grader_flags") is { } graderFlags)
            {
                // grader_flags is one key: a group that sets it replaces its parent's flags, not adds to them.
                config = config with
                {
                    VerdictMode = VerdictMode.WorstError, AcceptIfAnyAccepted = false, ScoreMode = ScoreMode.Sum, IgnoreSample = false,
                };
                foreach (var flag in graderFlags.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                {
                    config = flag switch
                    {
                        "first_error" => config with { VerdictMode = VerdictMode.FirstError },
                        "worst_error" or "no_errors" => config with { VerdictMode = VerdictMode.WorstError },
                        "always_accept" => config with { VerdictMode = VerdictMode.AlwaysAccept },
                        "accept_if_any_accepted" => config with { AcceptIfAnyAccepted = true },
                        "sum" => config with { ScoreMode = ScoreMode.Sum },
                        "avg" => config with { ScoreMode = ScoreMode.Avg },
                        "min" => config with { ScoreMode = ScoreMode.Min },
                        "max" => config with { ScoreMode = ScoreMode.Max },
                        "ignore_sample" => config with { IgnoreSample = true },
                        _ => throw yaml.Error("grader_flags", $"unknown grader flag '{flag}'"),
                    };
                }
            }

            config = config with
            {
                AcceptScore = yaml.Number("accept_score") ?? config.AcceptScore,
                RejectScore = yaml.Number("reject_score") ?? config.RejectScore,
                OutputValidatorFlags = yaml.Words("output_validator_flags") ?? yaml.Words("output_validator_args") ?? config.OutputValidatorFlags,
            };
            if (yaml.Text("range") is { } range)
            {
                var ends = range.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (ends.Length != 2 || !TryScore(ends[0], out var low) || !TryScore(ends[1], out var high) || low > high)
                {
                    throw yaml.Error("range", $"range must be two numbers 'low high' (inf allowed); got '{range}'");
                }

                config = config with { RangeMin = low, RangeMax = high };
            }

            // Newer formats: max_score and score_aggregation per group (also accepted nested in scoring: or grading:).
            var scoring = yaml.IsMap("scoring") ? yaml.Map("scoring") : yaml.IsMap("grading") ? yaml.Map("grading") : null;
            var maxScore = yaml.Text("max_score") ?? scoring?.Text("score") ?? scoring?.Text("max_score");
            if (maxScore is not null && maxScore != "unbounded")
            {
                config = config with
                {
                    MaxScore = double.TryParse(maxScore, NumberStyles.Float, CultureInfo.InvariantCulture, out var max) && max >= 0
                        ? max
                        : throw yaml.Error(yaml.Has("max_score") ? "max_score" : "scoring", $"max_score must be a non-negative number; got '{maxScore}'"),
                };
            }

            if ((yaml.Text("score_aggregation") ?? scoring?.Text("aggregation")) is { } aggregation)
            {
                config = config with
                {
                    Aggregation = aggregation is "sum" or "min" or "pass-fail"
                        ? aggregation
                        : throw yaml.Error(yaml.Has("score_aggregation") ? "score_aggregation" : "scoring",
                            $"score_aggregation must be 'sum', 'min' or 'pass-fail'; got '{aggregation}'"),
                };
            }

            if (yaml.Has("require_pass") || scoring?.Has("require_pass") == true)
            {
                throw yaml.Error("require_pass", "require_pass is not supported yet");
            }

            return config;
        }

        /// <summary>The grader settings; newer formats' max_score and aggregation become per-case scores.</summary>
        public GroupSettings Settings(int cases)
        {
            var settings = new GroupSettings
            {
                StopOnReject = StopOnReject,
                VerdictMode = VerdictMode,
                AcceptIfAnyAccepted = AcceptIfAnyAccepted,
                ScoreMode = ScoreMode,
                IgnoreSample = IgnoreSample,
                AcceptScore = AcceptScore,
                RejectScore = RejectScore,
                RangeMin = RangeMin,
                RangeMax = RangeMax,
                OutputValidatorFlags = OutputValidatorFlags,
            };
            if (Legacy || (MaxScore is null && Aggregation is null))
            {
                return settings;
            }

            // 2025-09: a group's aggregation defaults to pass-fail (secret's to sum, set where secret is read).
            var max = MaxScore ?? 100;
            return (Aggregation ?? "pass-fail") is "min" or "pass-fail"
                ? settings with { AcceptScore = max, ScoreMode = ScoreMode.Min, StopOnReject = true, RangeMin = 0, RangeMax = max, AcceptIfAnyAccepted = false }
                : settings with
                {
                    AcceptScore = cases > 0 ? max / cases : 0,
                    ScoreMode = ScoreMode.Sum,
                    StopOnReject = false,
                    AcceptIfAnyAccepted = true,
                    RangeMin = 0,
                    RangeMax = max,
                };
        }

        private static bool TryScore(string text, out double value) => text switch
        {
            "inf" or "+inf" => (value = double.PositiveInfinity) > 0,
            "-inf" => (value = double.NegativeInfinity) < 0,
            _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value),
        };
    }
}
