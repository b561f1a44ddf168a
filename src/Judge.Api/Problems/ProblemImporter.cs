using Judge.Api.Commands;
using Judge.Data;
using Judge.Data.Problems;
using Judge.Data.Submissions;
using Judge.Grading.Packages;
using Judge.Grading.Problems;
using Judge.Grading.Runs;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Problems;

public sealed record ImportResult(Problem Problem, ProblemVersion Version, bool Created, int Calibrations);

/// <summary>
/// Stores a problem definition (from a package or the JSON form) as a new immutable version, in one
/// transaction. A version without a time limit starts 'calibrating': the package's accepted submissions are
/// judged, and the worker that finishes the last one derives the time limit and makes the version current.
/// </summary>
public sealed class ProblemImporter(JudgeDbContext db, JudgeCommandSender sender)
{
    public async Task<ImportResult> ImportAsync(
        string slug, string? title, ProblemDefinition definition, byte[]? packageSha256, Guid importedBy, CancellationToken cancellationToken)
    {
        var calibrators = definition.Limits.TimeLimitMs is null
            ? definition.Submissions.Where(s => s.Folder == "accepted").ToList()
            : [];
        if (definition.Limits.TimeLimitMs is null && calibrators.Count == 0)
        {
            throw new PackageException("problem.yaml", null,
                "gives no time limit, and the package has no submissions/accepted/ in a supported language to derive one from");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var problem = await db.Problems.SingleOrDefaultAsync(p => p.Slug == slug, cancellationToken);
        if (problem is null)
        {
            problem = new Problem { Id = Guid.CreateVersion7(), Slug = slug, Title = "", CreatedAt = DateTime.UtcNow };
            db.Problems.Add(problem);
        }
        else if (packageSha256 is not null && await db.ProblemVersions.AsNoTracking()
                     .Where(v => v.ProblemId == problem.Id && v.PackageSha256 == packageSha256 && v.Status != VersionStatus.Failed)
                     .OrderByDescending(v => v.Number).FirstOrDefaultAsync(cancellationToken) is { } unchanged)
        {
            return new ImportResult(problem, unchanged, Created: false, Calibrations: 0);
        }

        problem.Title = title ?? (string.IsNullOrWhiteSpace(definition.Name) ? slug : definition.Name);
        var number = 1 + (await db.ProblemVersions.Where(v => v.ProblemId == problem.Id).MaxAsync(v => (int?)v.Number, cancellationToken) ?? 0);
        var notes = new List<string>();
        var memory = definition.Limits.MemoryBytes;
        if (memory > SandboxCaps.MemoryBytes)
        {
            notes.Add($"memory limit {memory >> 20} MiB lowered to {SandboxCaps.MemoryBytes >> 20} MiB, the most a judged program gets");
            memory = SandboxCaps.MemoryBytes;
        }

        var output = definition.Limits.OutputBytes;
        if (output > SandboxCaps.CapturedOutputBytes)
        {
            notes.Add($"output limit {output >> 20} MiB lowered to {SandboxCaps.CapturedOutputBytes >> 20} MiB");
            output = SandboxCaps.CapturedOutputBytes;
        }

        notes.AddRange(definition.Warnings); // what of the package is not used, for whoever reads the version's status
        var version = new ProblemVersion
        {
            Id = Guid.CreateVersion7(),
            ProblemId = problem.Id,
            Number = number,
            TimeLimitMs = definition.Limits.TimeLimitMs,
            MemoryLimitBytes = memory,
            OutputLimitBytes = output,
            Checker = definition.Validator.Kind,
            ValidatorFlags = definition.ValidatorFlags,
            ValidatorLanguage = definition.Validator.Language,
            ValidatorScores = definition.ValidatorScores,
            Interactive = definition.Interactive,
            ValidationPasses = definition.Limits.ValidationPasses,
            Scoring = definition.Type,
            MaxScore = definition.MaxScore,
            TimeMultiplier = definition.Limits.TimeMultiplier,
            TimeResolutionMs = definition.Limits.TimeResolutionMs,
            ValidationTimeMs = definition.Limits.ValidationTimeMs,
            ValidationMemoryBytes = Math.Min(definition.Limits.ValidationMemoryBytes, SandboxCaps.MemoryBytes),
            PackageFormat = definition.Format,
            PackageSha256 = packageSha256,
            Status = calibrators.Count > 0 ? VersionStatus.Calibrating : VersionStatus.Ready,
            StatusMessage = notes.Count > 0 ? string.Join("; ", notes) : null,
            CreatedAt = DateTime.UtcNow,
        };
        var ordinal = 0;
        await AddGroupAsync(definition.Data, parentId: null, position: 1);
        foreach (var file in definition.Validator.Files)
        {
            version.Files.Add(new ProblemVersionFile
            {
                Path = file.Path,
                Sha256 = await TestFileStore.StoreAsync(db, file.Content, cancellationToken),
            });
        }

        db.ProblemVersions.Add(version);
        await db.SaveChangesAsync(cancellationToken);
        if (version.Status == VersionStatus.Ready)
        {
            problem.CurrentVersionId = version.Id;
        }

        var calibrations = calibrators.Select(s => new Submission
        {
            Id = Guid.CreateVersion7(),
            ApiKeyId = importedBy,
            ProblemId = problem.Id,
            ProblemVersionId = version.Id,
            Language = s.Language,
            Source = System.Text.Encoding.UTF8.GetString(s.Source),
            Files = s.Files?.ToList(),
            EntryPoint = s.EntryPoint,
            Purpose = SubmissionPurpose.Calibration,
            PackagePath = s.Path,
            CreatedAt = DateTime.UtcNow,
        }).ToList();
        db.Submissions.AddRange(calibrations);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        foreach (var calibration in calibrations)
        {
            await sender.SendAsync(calibration.Id, calibration.Lane, cancellationToken);
        }

        return new ImportResult(problem, version, Created: true, calibrations.Count);

        async Task AddGroupAsync(TestGroup<TestCaseData> group, Guid? parentId, int position)
        {
            var settings = group.Settings;
            var row = new Data.Problems.TestGroup
            {
                Id = Guid.CreateVersion7(),
                ParentId = parentId,
                Name = group.Name,
                Position = position,
                StopOnReject = settings.StopOnReject,
                VerdictMode = settings.VerdictMode,
                AcceptIfAnyAccepted = settings.AcceptIfAnyAccepted,
                ScoreMode = settings.ScoreMode,
                IgnoreSample = settings.IgnoreSample,
                AcceptScore = settings.AcceptScore,
                RejectScore = settings.RejectScore,
                RangeMin = settings.RangeMin,
                RangeMax = settings.RangeMax,
                OutputValidatorFlags = settings.OutputValidatorFlags,
            };
            version.TestGroups.Add(row);
            var childPosition = 0;
            foreach (var child in group.Children)
            {
                childPosition++;
                if (child is TestGroup<TestCaseData> subgroup)
                {
                    await AddGroupAsync(subgroup, row.Id, childPosition);
                }
                else if (child is TestCaseData testCase)
                {
                    version.TestCases.Add(new TestCase
                    {
                        Id = Guid.CreateVersion7(),
                        Ordinal = ++ordinal,
                        GroupId = row.Id,
                        Position = childPosition,
                        Name = testCase.Name,
                        IsSample = testCase.IsSample,
                        InputSha256 = await TestFileStore.StoreAsync(db, testCase.Input, cancellationToken),
                        AnswerSha256 = await TestFileStore.StoreAsync(db, testCase.Answer, cancellationToken),
                    });
                }
            }
        }
    }
}
