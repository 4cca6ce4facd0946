using Dso.Core;
using Dso.Docker.SecretFiles;

namespace Dso.Cli.Tests.SecretFiles;

public sealed class SecretFileStoreTests : IDisposable
{
    private const int Nobody = 65534;

    private readonly string _root = Path.Combine("/dev/shm", "dso-store-test-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void PrepareProject_RootOwnedByAnotherUser_IsRejected()
    {
        Directory.CreateDirectory(_root);
        Core.IO.Libc.Chown(_root, Nobody, Nobody);
        var store = new SecretFileStore(_root, allowDiskBacked: false);

        DsoException error = Assert.Throws<DsoException>(() => store.PrepareProject("shop"));

        Assert.Contains($"owned by uid {Nobody}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrepareProject_ProjectDirectoryIsSymlink_IsRejected()
    {
        Directory.CreateDirectory(_root);
        string elsewhere = Directory.CreateDirectory(_root + "-elsewhere").FullName;
        File.CreateSymbolicLink(Path.Combine(_root, "shop"), elsewhere);
        var store = new SecretFileStore(_root, allowDiskBacked: false);

        DsoException error = Assert.Throws<DsoException>(() => store.PrepareProject("shop"));

        Assert.Contains("not a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_NameThatWasDirectory_ReplacesStaleDirectory()
    {
        var store = new SecretFileStore(_root, allowDiskBacked: false);
        store.PrepareProject("shop");
        store.Write("shop", "app", "col/sub", "old"u8, 0, 0, UnixFileMode.UserRead);

        store.RemoveStale("shop", "app", new HashSet<string> { "col" });
        string path = store.Write("shop", "app", "col", "new"u8, 0, 0, UnixFileMode.UserRead);

        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void Write_NameThatWasFile_BecomesDirectory()
    {
        var store = new SecretFileStore(_root, allowDiskBacked: false);
        store.PrepareProject("shop");
        store.Write("shop", "app", "col", "old"u8, 0, 0, UnixFileMode.UserRead);

        store.RemoveStale("shop", "app", new HashSet<string> { "col/sub" });
        string path = store.Write("shop", "app", "col/sub", "new"u8, 0, 0, UnixFileMode.UserRead);

        Assert.Equal("new", File.ReadAllText(path));
    }

    public void Dispose()
    {
        foreach (string directory in new[] { _root, _root + "-elsewhere" })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
