using System.Net;
using System.Net.Sockets;
using Dso.Agent.Api;
using Dso.Core;
using Dso.Core.IO;

namespace Dso.Agent.Tests.Api;

/// <summary>The socket file around the server's life: parent directory, mode and group, stale and live sockets, removal at stop.</summary>
public sealed class SocketLifecycleTests
{
    /// <summary>gid of nogroup on Debian.</summary>
    private const uint NogroupId = 65534;

    [Fact]
    public async Task Start_ExistingGroup_Socket0660WithGroup()
    {
        await using ApiTestServer server = await new ApiTestServer(groupName: "nogroup").StartAsync();

        FileStatus status = FileStatus.Read(server.SocketPath)!.Value;

        Assert.Equal(SocketFile.SocketMode, status.Mode);
        Assert.Equal(0u, status.Uid);
        Assert.Equal(NogroupId, status.Gid);
        Assert.True(SocketFile.Stat(server.SocketPath).IsSocket);
    }

    [Fact]
    public async Task Start_MissingGroup_CallerGroupAndWarning()
    {
        await using ApiTestServer server = await new ApiTestServer(groupName: "dsonosuchgroup").StartAsync();

        FileStatus status = FileStatus.Read(server.SocketPath)!.Value;

        Assert.Equal(SocketFile.SocketMode, status.Mode);
        Assert.Equal(Libc.getegid(), status.Gid);
        Assert.Contains(server.LogLines, line => line.StartsWith("Warning: The group dsonosuchgroup does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_MissingParent_CreatesDirectory0750WithGroup()
    {
        string root = Directory.CreateTempSubdirectory("dso-api-parent-").FullName;
        string socketPath = Path.Combine(root, "run", "dso", "dso.sock");
        try
        {
            await using ApiTestServer server = await new ApiTestServer(groupName: "nogroup", socketPath).StartAsync();

            FileStatus directory = FileStatus.Read(Path.GetDirectoryName(socketPath)!)!.Value;

            Assert.True(directory.IsDirectory);
            Assert.Equal(SocketFile.DirectoryMode, directory.Mode);
            Assert.Equal(0u, directory.Uid);
            Assert.Equal(NogroupId, directory.Gid);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Start_StaleSocket_ReplacedAndLogged()
    {
        await using var server = new ApiTestServer();
        CreateStaleSocket(server.SocketPath);

        await server.StartAsync();

        using HttpClient client = server.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/v1/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(server.LogLines, line => line.Contains($"Removed the stale socket {server.SocketPath}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_LiveAgent_NotDisplaced()
    {
        await using ApiTestServer first = await new ApiTestServer().StartAsync();
        ulong inode = SocketFile.Stat(first.SocketPath).Inode;
        await using var second = new ApiTestServer(socketPath: first.SocketPath);

        DsoException error = await Assert.ThrowsAsync<DsoException>(() => second.StartAsync());

        Assert.Contains($"Another dso agent holds the lock {first.SocketPath}.lock and is running on {first.SocketPath}", error.Message, StringComparison.Ordinal);
        Assert.Equal(inode, SocketFile.Stat(first.SocketPath).Inode);
        using HttpClient client = first.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/v1/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Start_LiveListenerWithoutLock_NotDisplaced()
    {
        await using var server = new ApiTestServer();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(server.SocketPath));
        listener.Listen();

        DsoException error = await Assert.ThrowsAsync<DsoException>(() => server.StartAsync());

        Assert.Contains($"accepts connections on {server.SocketPath}", error.Message, StringComparison.Ordinal);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(server.SocketPath));
    }

    [Fact]
    public async Task Start_AfterStop_TakesLockAgain()
    {
        await using ApiTestServer first = await new ApiTestServer().StartAsync();
        await first.Server.StopAsync(CancellationToken.None);
        await using var second = new ApiTestServer(socketPath: first.SocketPath);

        await second.StartAsync();

        using HttpClient client = second.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/v1/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Start_RegularFile_RejectedAndKept()
    {
        await using var server = new ApiTestServer();
        await File.WriteAllTextAsync(server.SocketPath, "not a socket");

        DsoException error = await Assert.ThrowsAsync<DsoException>(() => server.StartAsync());

        Assert.Contains($"{server.SocketPath} exists and is not a unix socket", error.Message, StringComparison.Ordinal);
        Assert.Equal("not a socket", await File.ReadAllTextAsync(server.SocketPath));
    }

    [Fact]
    public async Task Stop_RemovesSocketFile()
    {
        await using ApiTestServer server = await new ApiTestServer().StartAsync();

        await server.Server.StopAsync(CancellationToken.None);

        Assert.False(SocketFile.Stat(server.SocketPath).Exists);
        Assert.Contains(server.LogLines, line => line.Contains("stopped and its socket file was removed", StringComparison.Ordinal));
    }

    /// <summary>
    /// Leaves a socket file that no process listens on, as a killed agent does. .NET deletes the file when a bound socket
    /// is disposed, so a second hard link keeps it and takes its name back afterwards.
    /// </summary>
    private static void CreateStaleSocket(string path)
    {
        string keep = path + ".keep";
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            Assert.True(Libc.TryLinkNoReplace(path, keep));
        }

        File.Move(keep, path, overwrite: true);
        (bool exists, bool isSocket, _) = SocketFile.Stat(path);
        Assert.True(exists, $"{path} should remain after its listener closed.");
        Assert.True(isSocket, $"{path} should still be a socket file.");
    }
}
