using Dso.Core.IO;

namespace Dso.Vault.Tests.Locking;

public sealed class FileLockTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dso-filelock-").FullName;

    [Fact]
    public async Task AcquireExclusive_HeldElsewhere_WaitsInsteadOfFailing()
    {
        string path = Path.Combine(_directory, "vault.enc.lock");
        FileLock first = FileLock.AcquireExclusive(path);
        var acquired = new TaskCompletionSource();

        Task second = Task.Run(() =>
        {
            using FileLock fileLock = FileLock.AcquireExclusive(path);
            acquired.SetResult();
        });
        bool acquiredWhileHeld = await Task.WhenAny(acquired.Task, Task.Delay(TimeSpan.FromMilliseconds(300))) == acquired.Task;
        first.Dispose();
        await second.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(acquiredWhileHeld, "The second lock was granted while the first was held.");
        Assert.True(acquired.Task.IsCompletedSuccessfully);
    }

    [Fact]
    public void AcquireExclusive_NewFile_HasMode0600()
    {
        string path = Path.Combine(_directory, "new.lock");

        using (FileLock.AcquireExclusive(path))
        {
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
