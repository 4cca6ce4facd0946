using System.Text.Json;
using Dso.Agent.Journal;
using Dso.Core;
using Dso.Core.IO;
using Microsoft.Extensions.Time.Testing;

namespace Dso.Agent.Tests.Journal;

public sealed class RotationJournalTests : IDisposable
{
    private static readonly SecretVersion[] Secrets = [new("db_password", "vault", "7")];

    private readonly string _directory = Directory.CreateTempSubdirectory("dso-journal-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private string JournalPath => Path.Combine(_directory, "state", "rotations.json");

    [Fact]
    public void Advance_EachStep_IsOnDiskBeforeReturning()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);
        RotationRecord record = journal.Begin("compose:shop/api", "rolling", Secrets, "old-id", "shop_api_1");

        journal.Advance(record.Id, RotationStep.NewContainerCreated, current => current with { NewContainerId = "new-id" });
        RotationRecord reloaded = RotationJournal.Open(JournalPath, _time).All().Single();

        Assert.Equal(RotationStep.NewContainerCreated, reloaded.Step);
        Assert.Equal("new-id", reloaded.NewContainerId);
        Assert.Equal([RotationStep.Planned, RotationStep.NewContainerCreated], reloaded.History.Select(entry => entry.Step));
    }

    [Fact]
    public void Save_File_HasMode0600AndNoTempLeftovers()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);

        journal.Begin("compose:shop/api", "restart", Secrets, null, null);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(JournalPath));
        Assert.Equal(
            [JournalPath, journal.LockPath],
            Directory.GetFiles(Path.GetDirectoryName(JournalPath)!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Remove_ByAnotherInstance_IsNotUndoneByTheNextChange()
    {
        RotationJournal agent = RotationJournal.Open(JournalPath, _time);
        RotationRecord removed = agent.Begin("compose:shop/api", "rolling", Secrets, "old-id", "shop_api_1");
        agent.Advance(removed.Id, RotationStep.Completed);

        // dso state clean runs in another process with its own view of the file.
        RotationJournal.Open(JournalPath, _time).Remove(new HashSet<string> { removed.Id });
        RotationRecord next = agent.Begin("compose:shop/db", "restart", Secrets, "db-id", "shop_db_1");

        IReadOnlyList<RotationRecord> onDisk = RotationJournal.ReadRecords(JournalPath)!;
        Assert.DoesNotContain(onDisk, record => record.Id == removed.Id);
        Assert.Contains(onDisk, record => record.Id == next.Id);
    }

    [Fact]
    public void Completed_RecordsAppliedVersions_ThatSurviveReload()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);
        RotationRecord record = journal.Begin("compose:shop/api", "rolling", Secrets, "old-id", "shop_api_1");

        journal.Advance(record.Id, RotationStep.Completed);
        IReadOnlyDictionary<string, AppliedSecret> applied = RotationJournal.Open(JournalPath, _time).AppliedVersions("compose:shop/api");

        Assert.Equal("7", applied["db_password"].Version);
    }

    [Fact]
    public void SetApplied_ManyTargets_AllRecorded()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);
        journal.SetApplied("container:first", Secrets);

        journal.SetApplied(
        [
            KeyValuePair.Create<string, IReadOnlyList<SecretVersion>>("container:a", Secrets),
            KeyValuePair.Create<string, IReadOnlyList<SecretVersion>>("container:b", [new SecretVersion("db_password", "vault", "8")]),
        ]);

        RotationJournal reloaded = RotationJournal.Open(JournalPath, _time);
        Assert.Equal("7", reloaded.AppliedVersions("container:a")["db_password"].Version);
        Assert.Equal("8", reloaded.AppliedVersions("container:b")["db_password"].Version);
        Assert.Equal("7", reloaded.AppliedVersions("container:first")["db_password"].Version);
    }

    [Fact]
    public void SetApplied_EmptyBatch_WritesNothing()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);

        journal.SetApplied([]);

        Assert.False(File.Exists(JournalPath));
    }

    [Fact]
    public void Failed_DoesNotRecordAppliedVersions()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);
        RotationRecord record = journal.Begin("compose:shop/api", "rolling", Secrets, "old-id", "shop_api_1");

        journal.Advance(record.Id, RotationStep.Failed, current => current with { Error = "health check timed out" });
        journal.Advance(record.Id, RotationStep.RolledBack);

        Assert.Empty(journal.AppliedVersions("compose:shop/api"));
    }

    [Fact]
    public void InFlight_ListsOnlyUnfinishedRotations()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);
        RotationRecord done = journal.Begin("compose:shop/api", "rolling", Secrets, "a", "api");
        RotationRecord running = journal.Begin("compose:shop/worker", "rolling", Secrets, "b", "worker");
        RotationRecord failed = journal.Begin("compose:shop/web", "rolling", Secrets, "c", "web");

        journal.Advance(done.Id, RotationStep.Completed);
        journal.Advance(running.Id, RotationStep.Started);
        journal.Advance(failed.Id, RotationStep.Failed);

        Assert.Equal([running.Id, failed.Id], RotationJournal.Open(JournalPath, _time).InFlight().Select(record => record.Id));
    }

    [Fact]
    public void Prune_OldFinishedRecords_AreDeletedAndInFlightKept()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);
        RotationRecord old = journal.Begin("compose:shop/api", "rolling", Secrets, "a", "api");
        journal.Advance(old.Id, RotationStep.Completed);
        RotationRecord stuck = journal.Begin("compose:shop/worker", "rolling", Secrets, "b", "worker");
        journal.Advance(stuck.Id, RotationStep.Swapped);
        _time.Advance(TimeSpan.FromDays(8));
        RotationRecord recent = journal.Begin("compose:shop/web", "restart", Secrets, "c", "web");
        journal.Advance(recent.Id, RotationStep.Completed);

        int removed = journal.Prune(TimeSpan.FromDays(7));

        Assert.Equal(1, removed);
        Assert.Equal([stuck.Id, recent.Id], RotationJournal.Open(JournalPath, _time).All().Select(record => record.Id));
    }

    [Fact]
    public void Remove_InFlightIds_DeletesRecords()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);
        RotationRecord stuck = journal.Begin("compose:shop/api", "rolling", Secrets, "a", "api");
        RotationRecord kept = journal.Begin("compose:shop/web", "rolling", Secrets, "b", "web");

        IReadOnlyList<RotationRecord> removed = journal.Remove(new HashSet<string> { stuck.Id, "no-such-id" });

        Assert.Equal([stuck.Id], removed.Select(record => record.Id));
        Assert.Equal([kept.Id], RotationJournal.Open(JournalPath, _time).All().Select(record => record.Id));
    }

    [Fact]
    public void ReadRecords_MissingFile_ReturnsNullAndCreatesNothing()
    {
        IReadOnlyList<RotationRecord>? records = RotationJournal.ReadRecords(JournalPath);

        Assert.Null(records);
        Assert.False(Directory.Exists(Path.GetDirectoryName(JournalPath)));
    }

    [Fact]
    public void ReadRecords_LeftoverTempFile_IsLeftInPlace()
    {
        RotationJournal.Open(JournalPath, _time).Begin("compose:shop/api", "rolling", Secrets, "a", "api");
        string leftover = Path.Combine(Path.GetDirectoryName(JournalPath)!, AtomicFile.TempPrefix + "rotations.json.crashed");
        File.WriteAllText(leftover, "{");

        IReadOnlyList<RotationRecord>? records = RotationJournal.ReadRecords(JournalPath);

        Assert.Single(records!);
        Assert.True(File.Exists(leftover));
    }

    [Fact]
    public void Journal_NeverContainsSecretValues_OnlyNamesAndVersions()
    {
        RotationJournal journal = RotationJournal.Open(JournalPath, _time);

        journal.Begin("compose:shop/api", "rolling", Secrets, "a", "api");

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(JournalPath));
        JsonElement secret = document.RootElement.GetProperty("rotations")[0].GetProperty("secrets")[0];
        Assert.Equal(["name", "provider", "version"], secret.EnumerateObject().Select(property => property.Name));
    }

    [Fact]
    public void Open_CorruptFile_FailsNamingFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(JournalPath)!);
        File.WriteAllText(JournalPath, "{\"format\": 1, \"rotations\": [");

        DsoException error = Assert.Throws<DsoException>(() => RotationJournal.Open(JournalPath, _time));

        Assert.Contains(JournalPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_UnknownFormat_FailsNamingFormat()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(JournalPath)!);
        File.WriteAllText(JournalPath, "{\"format\": 9}");

        DsoException error = Assert.Throws<DsoException>(() => RotationJournal.Open(JournalPath, _time));

        Assert.Contains("format 9", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
