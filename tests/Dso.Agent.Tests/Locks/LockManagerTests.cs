using System.Diagnostics;
using System.Text.Json;
using Dso.Agent.Locks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dso.Agent.Tests.Locks;

public sealed class LockManagerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dso-locks-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Acquire_CreatesFileWithOwner_AndReleaseDeletesIt()
    {
        LockManager locks = CreateManager();

        LockHandle? handle = locks.TryAcquire("compose:shop/api", ["abc123"]);
        string path = locks.PathFor("compose:shop/api");
        LockInfo? info = JsonSerializer.Deserialize(File.ReadAllBytes(path), LockJsonContext.Default.LockInfo);
        handle!.Dispose();

        Assert.NotNull(info);
        Assert.Equal(Environment.ProcessId, info.Pid);
        Assert.Equal(Environment.MachineName, info.Host);
        Assert.Equal(_time.GetUtcNow(), info.StartedAt);
        Assert.Equal(["abc123"], info.ContainerIds);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Acquire_HeldByLiveOwner_ReturnsNull()
    {
        LockManager locks = CreateManager();
        using LockHandle? first = locks.TryAcquire("compose:shop/api", []);

        LockHandle? second = locks.TryAcquire("compose:shop/api", []);

        Assert.NotNull(first);
        Assert.Null(second);
    }

    [Fact]
    public async Task Acquire_OwnerProcessGone_RemovesStaleLockAndTakesIt()
    {
        LockManager locks = CreateManager();
        int deadPid = await StartAndWaitForExitAsync();
        WriteLock(locks, "compose:shop/api", deadPid, _time.GetUtcNow());

        using LockHandle? handle = locks.TryAcquire("compose:shop/api", []);

        Assert.NotNull(handle);
        Assert.Equal(Environment.ProcessId, handle.Info.Pid);
    }

    [Fact]
    public void CleanStale_LockOlderThanLimit_IsRemoved()
    {
        LockManager locks = CreateManager();
        WriteLock(locks, "compose:shop/api", Environment.ProcessId, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(31));

        IReadOnlyList<string> removed = locks.CleanStale();

        Assert.Equal(["compose:shop/api"], removed);
        Assert.False(File.Exists(locks.PathFor("compose:shop/api")));
    }

    [Fact]
    public void CleanStale_LiveRecentLock_IsKept()
    {
        LockManager locks = CreateManager();
        using LockHandle? handle = locks.TryAcquire("compose:shop/api", []);
        _time.Advance(TimeSpan.FromMinutes(29));

        IReadOnlyList<string> removed = locks.CleanStale();

        Assert.Empty(removed);
        Assert.True(File.Exists(locks.PathFor("compose:shop/api")));
    }

    [Fact]
    public void Release_AfterStaleCleanupReplacedLock_LeavesNewOwnersFile()
    {
        LockManager locks = CreateManager();
        LockHandle? first = locks.TryAcquire("compose:shop/api", []);
        _time.Advance(TimeSpan.FromMinutes(31));
        using LockHandle? second = locks.TryAcquire("compose:shop/api", []);

        first!.Dispose();

        Assert.NotNull(second);
        Assert.True(File.Exists(locks.PathFor("compose:shop/api")));
    }

    [Theory]
    [InlineData("a/b", "a_b")]
    [InlineData("compose:shop/api", "compose:shop_api")]
    [InlineData("project-a/web", "project_a/web")]
    public void FileNameFor_NamesThatSanitiseAlike_StayDistinct(string first, string second)
    {
        Assert.NotEqual(LockManager.FileNameFor(first), LockManager.FileNameFor(second));
    }

    [Theory]
    [InlineData("compose:shop/api")]
    [InlineData("a_b")]
    [InlineData("..")]
    [InlineData("ünïcode/név")]
    public void FileNameFor_RoundTripsThroughKeyFromFileName(string key)
    {
        string fileName = LockManager.FileNameFor(key);

        Assert.Equal(key, LockManager.KeyFromFileName(fileName));
        Assert.DoesNotContain('/', fileName);
        Assert.False(fileName.StartsWith('.'), fileName);
    }

    [Fact]
    public async Task CleanStale_DuringAcquireRelease_NeverRemovesLiveLock()
    {
        LockManager locks = CreateManager();
        using var stop = new CancellationTokenSource();
        int removedLive = 0;

        Task cleaner = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                removedLive += locks.CleanStale().Count;
            }
        });
        for (int i = 0; i < 2000; i++)
        {
            using LockHandle? handle = locks.TryAcquire("compose:shop/api", []);
            Assert.NotNull(handle);
        }

        await stop.CancelAsync();
        await cleaner;

        Assert.Equal(0, removedLive);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private LockManager CreateManager() => new(_directory, TimeSpan.FromMinutes(30), _time, NullLogger.Instance);

    private static void WriteLock(LockManager locks, string key, int pid, DateTimeOffset startedAt)
    {
        var info = new LockInfo { Key = key, Pid = pid, Host = Environment.MachineName, StartedAt = startedAt };
        File.WriteAllBytes(locks.PathFor(key), JsonSerializer.SerializeToUtf8Bytes(info, LockJsonContext.Default.LockInfo));
    }

    private static async Task<int> StartAndWaitForExitAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }
}
