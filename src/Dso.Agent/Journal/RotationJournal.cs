using System.Security.Cryptography;
using System.Text.Json;
using Dso.Core;
using Dso.Core.IO;

namespace Dso.Agent.Journal;

/// <summary>
/// The crash-safe rotation journal (rotations.json). Every change is written to a temp file, fsynced and renamed
/// over the journal before the call returns, so that after a crash the journal shows the last step reached.
/// Safe to use from several threads and processes: each change holds a flock on rotations.json.lock and starts from
/// the file's current content.
/// </summary>
internal sealed class RotationJournal
{
    public const UnixFileMode FileMode = FileModes.PrivateFile;

    /// <summary>The journal's file name inside the agent state directory.</summary>
    public const string FileName = "rotations.json";

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private JournalDocument _document;
    private (DateTime Written, long Length) _stamp;

    private RotationJournal(string path, TimeProvider time, JournalDocument document)
    {
        FilePath = path;
        _time = time;
        _document = document;
        _stamp = StampOf(path);
    }

    public string FilePath { get; }

    /// <summary>The flock file that serializes writers of the journal across processes: the agent and dso state clean.</summary>
    public string LockPath => FilePath + ".lock";

    /// <summary>Loads the journal, or starts an empty one when the file does not exist yet.</summary>
    public static RotationJournal Open(string path, TimeProvider time)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, FileModes.PrivateDirectory);
        }

        AtomicFile.RemoveLeftovers(path);
        JournalDocument? document = Read(path);
        return new RotationJournal(path, time, document ?? new JournalDocument());
    }

    /// <summary>
    /// Reads the records of a journal without changing anything on disk, for commands that only report;
    /// returns null when the file does not exist.
    /// </summary>
    public static IReadOnlyList<RotationRecord>? ReadRecords(string path) => Read(path)?.Rotations;

    /// <summary>True for a finished record whose finish time is before <paramref name="cutoff"/>.</summary>
    public static bool IsExpired(RotationRecord record, DateTimeOffset cutoff) =>
        record.Step.IsTerminal() && (record.FinishedAt ?? record.UpdatedAt) < cutoff;

    /// <summary>Records a new rotation at step Planned and returns it.</summary>
    public RotationRecord Begin(string target, string strategy, IReadOnlyList<SecretVersion> secrets, string? oldContainerId, string? oldContainerName)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var record = new RotationRecord
        {
            Id = $"{now:yyyyMMddTHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}",
            Target = target,
            Strategy = strategy,
            Secrets = secrets,
            Step = RotationStep.Planned,
            OldContainerId = oldContainerId,
            OldContainerName = oldContainerName,
            StartedAt = now,
            UpdatedAt = now,
            History = [new StepTime(RotationStep.Planned, now)],
        };

        lock (_gate)
        {
            using FileLock fileLock = FileLock.AcquireExclusive(LockPath);
            ReloadIfChanged();
            _document.Rotations.Add(record);
            Save();
        }

        return record;
    }

    /// <summary>
    /// Moves a rotation to a new step, applying <paramref name="change"/> to its other fields, and saves. Completed
    /// also records the rotation's versions as applied to its target; recovery that rolls forward calls SetApplied.
    /// </summary>
    public RotationRecord Advance(string id, RotationStep step, Func<RotationRecord, RotationRecord>? change = null)
    {
        lock (_gate)
        {
            using FileLock fileLock = FileLock.AcquireExclusive(LockPath);
            ReloadIfChanged();
            int index = _document.Rotations.FindIndex(record => record.Id == id);
            if (index < 0)
            {
                throw new InvalidOperationException($"The rotation {id} is not in the journal {FilePath}.");
            }

            DateTimeOffset now = _time.GetUtcNow();
            RotationRecord current = change is null ? _document.Rotations[index] : change(_document.Rotations[index]);
            RotationRecord updated = current with
            {
                Step = step,
                UpdatedAt = now,
                FinishedAt = step.IsTerminal() ? now : current.FinishedAt,
                History = [.. current.History, new StepTime(step, now)],
            };
            _document.Rotations[index] = updated;
            if (step == RotationStep.Completed)
            {
                SetAppliedUnlocked(updated.Target, updated.Secrets);
            }

            Save();
            return updated;
        }
    }

    /// <summary>Records the versions applied to a target without a rotation, for example at first sight of a container.</summary>
    public void SetApplied(string target, IReadOnlyList<SecretVersion> secrets) =>
        SetApplied([KeyValuePair.Create(target, secrets)]);

    /// <summary>
    /// Records the versions applied to several targets with one write of the file, as the first delivery to many new
    /// containers needs. Does nothing for an empty list.
    /// </summary>
    public void SetApplied(IReadOnlyCollection<KeyValuePair<string, IReadOnlyList<SecretVersion>>> targets)
    {
        if (targets.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            using FileLock fileLock = FileLock.AcquireExclusive(LockPath);
            ReloadIfChanged();
            foreach ((string target, IReadOnlyList<SecretVersion> secrets) in targets)
            {
                SetAppliedUnlocked(target, secrets);
            }

            Save();
        }
    }

    /// <summary>Returns the secret versions last applied to a target, or an empty map.</summary>
    public IReadOnlyDictionary<string, AppliedSecret> AppliedVersions(string target)
    {
        lock (_gate)
        {
            return _document.Applied.TryGetValue(target, out SortedDictionary<string, AppliedSecret>? versions)
                ? new Dictionary<string, AppliedSecret>(versions, StringComparer.Ordinal)
                : new Dictionary<string, AppliedSecret>(StringComparer.Ordinal);
        }
    }

    /// <summary>Returns rotations that were not finished: the ones recovery must complete or roll back.</summary>
    public IReadOnlyList<RotationRecord> InFlight()
    {
        lock (_gate)
        {
            return _document.Rotations.Where(record => !record.Step.IsTerminal()).ToList();
        }
    }

    public IReadOnlyList<RotationRecord> All()
    {
        lock (_gate)
        {
            return [.. _document.Rotations];
        }
    }

    /// <summary>Deletes finished records older than <paramref name="retention"/>; in-flight records are always kept.</summary>
    public int Prune(TimeSpan retention)
    {
        lock (_gate)
        {
            using FileLock fileLock = FileLock.AcquireExclusive(LockPath);
            ReloadIfChanged();
            DateTimeOffset cutoff = _time.GetUtcNow() - retention;
            int removed = _document.Rotations.RemoveAll(record => IsExpired(record, cutoff));
            if (removed > 0)
            {
                Save();
            }

            return removed;
        }
    }

    /// <summary>
    /// Deletes the records with the given ids, in flight or not, and returns the ones it deleted. Only an
    /// explicit cleanup calls it for in-flight records, because recovery will then not run for them.
    /// </summary>
    public IReadOnlyList<RotationRecord> Remove(IReadOnlySet<string> ids)
    {
        lock (_gate)
        {
            using FileLock fileLock = FileLock.AcquireExclusive(LockPath);
            ReloadIfChanged();
            List<RotationRecord> removed = _document.Rotations.Where(record => ids.Contains(record.Id)).ToList();
            if (removed.Count > 0)
            {
                _document.Rotations.RemoveAll(record => ids.Contains(record.Id));
                Save();
            }

            return removed;
        }
    }

    private static JournalDocument? Read(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        JournalDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(content, JournalJsonContext.Default.JournalDocument);
        }
        catch (JsonException exception)
        {
            throw new DsoException($"The rotation journal {path} is not valid JSON (line {exception.LineNumber + 1}). Move it aside and start the agent again; in-flight rotations recorded in it will then not be recovered.", exception);
        }

        if (document is null || document.Format != JournalDocument.CurrentFormat)
        {
            throw new DsoException($"The rotation journal {path} has format {document?.Format.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}, but this dso reads format {JournalDocument.CurrentFormat}. Upgrade dso, or move the file aside.");
        }

        return document;
    }

    private void SetAppliedUnlocked(string target, IReadOnlyList<SecretVersion> secrets)
    {
        if (!_document.Applied.TryGetValue(target, out SortedDictionary<string, AppliedSecret>? versions))
        {
            versions = new SortedDictionary<string, AppliedSecret>(StringComparer.Ordinal);
            _document.Applied[target] = versions;
        }

        foreach (SecretVersion secret in secrets)
        {
            versions[secret.Name] = new AppliedSecret(secret.Version, secret.Fingerprint);
        }
    }

    private void Save()
    {
        AtomicFile.Write(FilePath, JsonSerializer.SerializeToUtf8Bytes(_document, JournalJsonContext.Default.JournalDocument), FileMode);
        _stamp = StampOf(FilePath);
    }

    /// <summary>
    /// Loads the file again when another process (dso state clean) replaced it since this instance last read or
    /// wrote it, so that a change is made to the current records and does not bring back removed ones.
    /// </summary>
    private void ReloadIfChanged()
    {
        (DateTime, long) stamp = StampOf(FilePath);
        if (stamp != _stamp)
        {
            _document = Read(FilePath) ?? new JournalDocument();
            _stamp = stamp;
        }
    }

    private static (DateTime Written, long Length) StampOf(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, -1);
    }
}
