using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Locks;

/// <summary>
/// Rotation locks as files DIRECTORY/KEY.lock. A lock is created when acquired and deleted when its handle is
/// disposed, that is when the rotation has finished. A lock is stale when its owner process is gone, when its pid
/// was reused, or when it is older than the stale age. Stale locks are removed with a log line.
/// </summary>
internal sealed partial class LockManager
{
    public const string Extension = ".lock";

    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public LockManager(string directory, TimeSpan staleAfter, TimeProvider time, ILogger logger)
    {
        LockDirectory = directory;
        StaleAfter = staleAfter;
        _time = time;
        _logger = logger;
    }

    public string LockDirectory { get; }

    public TimeSpan StaleAfter { get; }

    /// <summary>
    /// Maps a key to a file name reversibly: letters, digits, '.' and '-' stay, every other character becomes
    /// _XX hex (with '_' itself escaped), so "a/b" and "a_b" never share a lock file.
    /// </summary>
    public static string FileNameFor(string key)
    {
        var builder = new StringBuilder(key.Length + Extension.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(key))
        {
            char c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || c is '.' or '-') && !(builder.Length == 0 && c == '.'))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"_{b:X2}");
            }
        }

        return builder.Append(Extension).ToString();
    }

    public static string KeyFromFileName(string fileName)
    {
        string name = fileName.EndsWith(Extension, StringComparison.Ordinal) ? fileName[..^Extension.Length] : fileName;
        var bytes = new List<byte>(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] == '_' && i + 2 < name.Length && byte.TryParse(name.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte value))
            {
                bytes.Add(value);
                i += 2;
            }
            else
            {
                bytes.Add((byte)name[i]);
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public string PathFor(string key) => Path.Combine(LockDirectory, FileNameFor(key));

    /// <summary>Takes the lock for a key, removing a stale one first; returns null when a live owner holds it.</summary>
    public LockHandle? TryAcquire(string key, IReadOnlyList<string> containerIds)
    {
        EnsureDirectory();
        string path = PathFor(key);
        var info = new LockInfo
        {
            Key = key,
            Pid = Environment.ProcessId,
            PidStartTicks = ProcessStartTicks(Environment.ProcessId),
            Host = Environment.MachineName,
            StartedAt = _time.GetUtcNow(),
            ContainerIds = containerIds,
        };
        byte[] content = JsonSerializer.SerializeToUtf8Bytes(info, LockJsonContext.Default.LockInfo);

        // The lock is written in full under a temp name and then linked into place. A concurrent reader or stale-lock
        // cleanup therefore never reads an empty or partial lock file and takes it for a corrupt one.
        string temp = Path.Combine(LockDirectory, $".{FileNameFor(key)}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp");
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = Core.IO.FileModes.PrivateFile,
        }))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        try
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                if (Core.IO.Libc.TryLinkNoReplace(temp, path))
                {
                    return new LockHandle(this, path, info);
                }

                LockInfo? holder = Read(path);
                if ((holder is not null && !IsStale(holder, out _)) || (holder is null && !File.Exists(path)))
                {
                    // A live owner, or a lock released a moment ago: the second attempt links again.
                    if (holder is not null)
                    {
                        return null;
                    }

                    continue;
                }

                RemoveStale(path, holder);
            }

            return null;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Removes every stale lock in the directory; returns the keys removed.</summary>
    public IReadOnlyList<string> CleanStale()
    {
        var removed = new List<string>();
        if (!Directory.Exists(LockDirectory))
        {
            return removed;
        }

        foreach (string path in Directory.EnumerateFiles(LockDirectory, "*" + Extension))
        {
            // A lock released since the listing is no longer there, and is not stale.
            if (!File.Exists(path))
            {
                continue;
            }

            LockInfo? holder = Read(path);
            if ((holder is null || IsStale(holder, out _)) && RemoveStale(path, holder))
            {
                removed.Add(holder?.Key ?? KeyFromFileName(Path.GetFileName(path)));
            }
        }

        return removed;
    }

    /// <summary>Lists the locks present, with whether each is stale and why.</summary>
    public IReadOnlyList<(string Path, LockInfo? Info, bool Stale, string? Reason)> List()
    {
        var result = new List<(string, LockInfo?, bool, string?)>();
        if (!Directory.Exists(LockDirectory))
        {
            return result;
        }

        foreach (string path in Directory.EnumerateFiles(LockDirectory, "*" + Extension).Order(StringComparer.Ordinal))
        {
            LockInfo? info = Read(path);
            string? reason = "its content is unreadable";
            bool stale = info is null || IsStale(info, out reason);
            result.Add((path, info, stale, stale ? reason : null));
        }

        return result;
    }

    public bool IsStale(LockInfo info, out string? reason)
    {
        TimeSpan age = _time.GetUtcNow() - info.StartedAt;
        if (age > StaleAfter)
        {
            reason = $"it is {age.TotalMinutes:F0} minutes old, over the limit of {StaleAfter.TotalMinutes:F0}";
            return true;
        }

        if (info.Host == Environment.MachineName)
        {
            long? ticks = ProcessStartTicks(info.Pid);
            if (ticks is null)
            {
                reason = $"its owner process {info.Pid} is gone";
                return true;
            }

            if (info.PidStartTicks is { } recorded && recorded != ticks)
            {
                reason = $"its owner process {info.Pid} is gone and the pid was reused";
                return true;
            }
        }

        reason = null;
        return false;
    }

    internal void Release(string path, LockInfo info)
    {
        // Delete only a lock that is still ours: a stale-lock cleanup may have replaced it meanwhile.
        LockInfo? current = Read(path);
        if (current is not null && current.Pid == info.Pid && current.StartedAt == info.StartedAt)
        {
            File.Delete(path);
            LogLockReleased(_logger, info.Key);
        }
    }

    /// <summary>
    /// Deletes a lock judged stale, unless it changed hands since it was read: a lock released and taken again in
    /// between belongs to a live owner. Returns whether the file was deleted.
    /// </summary>
    private bool RemoveStale(string path, LockInfo? holder)
    {
        LockInfo? current = Read(path);
        bool sameHolder = holder is null ? current is null && File.Exists(path) : current is not null && current.Pid == holder.Pid && current.StartedAt == holder.StartedAt;
        if (!sameHolder)
        {
            return false;
        }

        string reason = "its content is unreadable";
        if (holder is not null)
        {
            _ = IsStale(holder, out string? why);
            reason = why ?? reason;
        }

        // NOTE: a lock released and taken again between the read above and this delete would still be removed. The
        // window is the gap between two system calls; closing it would need a lock on the directory itself.
        File.Delete(path);
        LogStaleLockRemoved(_logger, path, holder?.Pid ?? 0, reason);
        return true;
    }

    private static LockInfo? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), LockJsonContext.Default.LockInfo);
        }
        catch (Exception exception) when (exception is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void EnsureDirectory()
    {
        if (!Directory.Exists(LockDirectory))
        {
            Directory.CreateDirectory(LockDirectory, Core.IO.FileModes.PrivateDirectory);
        }
    }

    /// <summary>Returns a process's start time from /proc/PID/stat (field 22), or null when there is no such process.</summary>
    internal static long? ProcessStartTicks(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may contain spaces, so fields are counted after its ')'.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const int startTimeIndexAfterName = 22 - 3;
        return fields.Length > startTimeIndexAfterName && long.TryParse(fields[startTimeIndexAfterName], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)
            ? ticks
            : null;
    }

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Released the rotation lock {LockKey}.")]
    private static partial void LogLockReleased(ILogger logger, string lockKey);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Removed stale lock {LockPath} held by process {Pid}: {Reason}.")]
    private static partial void LogStaleLockRemoved(ILogger logger, string lockPath, int pid, string reason);
}

/// <summary>A held lock; disposing it releases the lock by deleting its file.</summary>
internal sealed class LockHandle : IDisposable
{
    private readonly LockManager _owner;
    private bool _released;

    internal LockHandle(LockManager owner, string path, LockInfo info)
    {
        _owner = owner;
        FilePath = path;
        Info = info;
    }

    public string FilePath { get; }

    public LockInfo Info { get; }

    public void Dispose()
    {
        if (!_released)
        {
            _released = true;
            _owner.Release(FilePath, Info);
        }
    }
}
