using System.Text;
using Judge.Data.Batches;
using Judge.Data.Callbacks;
using Judge.Data.Keys;
using Judge.Data.Problems;
using Judge.Data.Runs;
using Judge.Data.Storage;
using Judge.Data.Submissions;
using Judge.Data.Workers;
using Judge.Grading.Languages;
using Judge.Grading.Problems;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Judge.Data;

/// <summary>
/// EF Core over the schema in migrations/*.sql. The SQL files are the truth; this model must agree with them
/// (a test migrates an empty database and compares every table and column).
/// </summary>
public sealed class JudgeDbContext(DbContextOptions<JudgeDbContext> options) : DbContext(options)
{
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<Problem> Problems => Set<Problem>();

    public DbSet<ProblemVersion> ProblemVersions => Set<ProblemVersion>();

    public DbSet<TestCase> TestCases => Set<TestCase>();

    public DbSet<TestGroup> TestGroups => Set<TestGroup>();

    public DbSet<ProblemVersionFile> ProblemVersionFiles => Set<ProblemVersionFile>();

    public DbSet<GroupResult> GroupResults => Set<GroupResult>();

    public DbSet<TestFile> TestFiles => Set<TestFile>();

    public DbSet<Submission> Submissions => Set<Submission>();

    public DbSet<TestResult> TestResults => Set<TestResult>();

    public DbSet<WorkerHeartbeat> WorkerHeartbeats => Set<WorkerHeartbeat>();

    public DbSet<Batch> Batches => Set<Batch>();

    public DbSet<BatchUpload> BatchUploads => Set<BatchUpload>();

    public DbSet<Callback> Callbacks => Set<Callback>();

    public DbSet<CallbackAttempt> CallbackAttempts => Set<CallbackAttempt>();

    public DbSet<Run> Runs => Set<Run>();

    public DbSet<RunFile> RunFiles => Set<RunFile>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ApiKey>(e => e.ToTable("api_keys"));
        modelBuilder.Entity<Batch>(e => e.ToTable("batches"));
        modelBuilder.Entity<BatchUpload>(e =>
        {
            e.ToTable("batch_uploads");
            e.HasKey(u => u.BatchId);
        });

        modelBuilder.Entity<Callback>(e =>
        {
            e.ToTable("callbacks");
            e.Ignore(c => c.Event);
            e.HasMany(c => c.AttemptLog).WithOne().HasForeignKey(a => a.CallbackId);
        });
        modelBuilder.Entity<CallbackAttempt>(e =>
        {
            e.ToTable("callback_attempts");
            e.HasKey(a => new { a.CallbackId, a.Number });
        });

        modelBuilder.Entity<Problem>(e =>
        {
            e.ToTable("problems");
            e.HasIndex(p => p.Slug).IsUnique();
            e.HasOne(p => p.CurrentVersion).WithMany().HasForeignKey(p => p.CurrentVersionId);
            e.HasMany(p => p.Versions).WithOne(v => v.Problem).HasForeignKey(v => v.ProblemId);
        });

        modelBuilder.Entity<ProblemVersion>(e =>
        {
            e.ToTable("problem_versions");
            e.HasMany(v => v.TestCases).WithOne().HasForeignKey(t => t.ProblemVersionId);
            e.HasMany(v => v.TestGroups).WithOne().HasForeignKey(g => g.ProblemVersionId);
            e.HasMany(v => v.Files).WithOne().HasForeignKey(f => f.ProblemVersionId);
            e.Property(v => v.Status).HasConversion<KebabCaseEnumConverter<VersionStatus>>();
            e.Property(v => v.Checker).HasConversion<KebabCaseEnumConverter<OutputValidatorKind>>();
            e.Property(v => v.Scoring).HasConversion<KebabCaseEnumConverter<ProblemType>>();
        });

        modelBuilder.Entity<TestGroup>(e =>
        {
            e.ToTable("test_groups");
            e.HasOne<TestGroup>().WithMany().HasForeignKey(g => g.ParentId);
            e.Property(g => g.VerdictMode).HasConversion<SnakeCaseEnumConverter<VerdictMode>>();
            e.Property(g => g.ScoreMode).HasConversion<SnakeCaseEnumConverter<ScoreMode>>();
        });

        modelBuilder.Entity<ProblemVersionFile>(e =>
        {
            e.ToTable("problem_version_files");
            e.HasKey(f => new { f.ProblemVersionId, f.Role, f.Path });
        });

        modelBuilder.Entity<TestCase>(e =>
        {
            e.ToTable("test_cases");
            e.HasOne<TestGroup>().WithMany().HasForeignKey(t => t.GroupId);
        });
        modelBuilder.Entity<TestFile>(e =>
        {
            e.ToTable("test_files");
            e.HasKey(f => f.Sha256);
        });

        modelBuilder.Entity<Submission>(e =>
        {
            e.ToTable("submissions");
            e.HasMany(s => s.TestResults).WithOne().HasForeignKey(r => r.SubmissionId);
            e.HasMany(s => s.GroupResults).WithOne().HasForeignKey(r => r.SubmissionId);
            e.Property(s => s.Status).HasConversion<string>();
            e.Property(s => s.Verdict).HasConversion<string>();
            e.Property(s => s.Files).HasColumnType("jsonb").HasConversion(FilesConverter, FilesComparer);
            e.Property(s => s.Lane).HasConversion<KebabCaseEnumConverter<Lane>>();
            e.Property(s => s.Purpose).HasConversion<KebabCaseEnumConverter<SubmissionPurpose>>();
        });

        modelBuilder.Entity<Run>(e =>
        {
            e.ToTable("runs");
            e.Property(r => r.Status).HasConversion<string>();
            e.Property(r => r.Verdict).HasConversion<string>();
            e.Property(r => r.Facade).HasConversion<KebabCaseEnumConverter<RunFacade>>();
            e.Property(r => r.Lane).HasConversion<KebabCaseEnumConverter<Lane>>();
            e.Property(r => r.Files).HasColumnType("jsonb").HasConversion(FilesConverter!, FilesComparer!);
            e.Property(r => r.FacadeRequest).HasColumnType("jsonb");
        });
        modelBuilder.Entity<RunFile>(e => e.ToTable("run_files"));

        modelBuilder.Entity<GroupResult>(e =>
        {
            e.ToTable("group_results");
            e.HasKey(r => new { r.SubmissionId, r.GroupId });
            e.Property(r => r.Verdict).HasConversion<string>();
        });

        modelBuilder.Entity<TestResult>(e =>
        {
            e.ToTable("test_results");
            e.HasKey(r => new { r.SubmissionId, r.Ordinal });
            e.Property(r => r.Verdict).HasConversion<string>();
        });

        modelBuilder.Entity<WorkerHeartbeat>(e =>
        {
            e.ToTable("worker_heartbeats");
            e.HasKey(w => w.WorkerId);
            e.Property(w => w.WarmPool).HasColumnType("jsonb");
            e.Property(w => w.Languages).HasColumnType("jsonb");
            e.Property(w => w.Speed).HasColumnType("jsonb");
        });

        // The SQL schema uses snake_case; ids are generated by the application (UUID v7), not the database.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
                if (property.ClrType == typeof(Guid) && property.IsPrimaryKey())
                {
                    property.ValueGenerated = Microsoft.EntityFrameworkCore.Metadata.ValueGenerated.Never;
                }
            }
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions FilesJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>A list of files as jsonb, <c>[{"name", "content"}]</c> with the content in base64: a submission's, a run's.</summary>
    private static readonly ValueConverter<List<SubmissionFile>?, string?> FilesConverter = new(
        files => files == null ? null : FilesToJson(files),
        json => json == null ? null : System.Text.Json.JsonSerializer.Deserialize<List<SubmissionFile>>(json, FilesJson));

    /// <summary>The jsonb a list of files is stored as, for statements written by hand.</summary>
    internal static string FilesToJson(List<SubmissionFile> files) => System.Text.Json.JsonSerializer.Serialize(files, FilesJson);

    private static readonly ValueComparer<List<SubmissionFile>?> FilesComparer = new(
        (a, b) => a == null ? b == null : b != null && a.SequenceEqual(b),
        files => files == null ? 0 : files.Aggregate(0, (hash, file) => HashCode.Combine(hash, file)),
        files => files == null ? null : files.ToList());

    internal static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previousIsLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (previousIsLowerOrDigit || endsAcronym)
                {
                    text.Append('_');
                }

                text.Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}
