using Dso.Agent.Storage;
using Dso.Core.IO;

namespace Dso.Agent.Tests.Storage;

public sealed class StorageChecksTests
{
    [Theory]
    [InlineData(FileSystemTypes.Nfs, "NFS")]
    [InlineData(FileSystemTypes.Smb, "SMB")]
    [InlineData(FileSystemTypes.Cifs, "CIFS")]
    [InlineData(FileSystemTypes.Smb2, "SMB2")]
    [InlineData(FileSystemTypes.Fuse, "FUSE")]
    public void WarnIfNetworkFileSystem_NetworkOrFuseMagic_NamesFileSystem(long magic, string name)
    {
        string? warning = StorageChecks.WarnIfNetworkFileSystem("/var/lib/dso/state", magic);

        Assert.NotNull(warning);
        Assert.StartsWith($"/var/lib/dso/state is on {name},", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FileSystemTypes.Tmpfs)]
    [InlineData(FileSystemTypes.Ramfs)]
    [InlineData(0xEF53L)] // ext2, ext3 and ext4
    [InlineData(0x58465342L)] // xfs
    [InlineData(0x9123683EL)] // btrfs
    [InlineData(0x794C7630L)] // overlayfs
    public void WarnIfNetworkFileSystem_LocalMagic_ReturnsNull(long magic)
    {
        Assert.Null(StorageChecks.WarnIfNetworkFileSystem("/var/lib/dso/state", magic));
    }

    [Fact]
    public void WarnIfNetworkFileSystem_DevShm_ReturnsNull()
    {
        Assert.Null(StorageChecks.WarnIfNetworkFileSystem("/dev/shm"));
    }

    [Fact]
    public void WarnIfNetworkFileSystem_MissingPath_ChecksExistingParent()
    {
        Assert.Null(StorageChecks.WarnIfNetworkFileSystem("/dev/shm/dso-missing-" + Guid.NewGuid().ToString("N") + "/state"));
    }
}
