using System.Security.Cryptography;
using Dso.Agent.Tests.Api;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent;

/// <summary>
/// Which users may use the agent's socket: dso runs as uid 65534 (user nobody, group nogroup) through setpriv, against a
/// server whose group is either a new empty group or nogroup. The tests run as root.
/// </summary>
public sealed class AgentApiPeerTests
{
    private const int NobodyUid = 65534;

    [Fact]
    public async Task Status_OutsideGroup_ConnectDenied()
    {
        using var group = new TemporaryGroup();
        await using ApiTestServer server = await new ApiTestServer(group.Name).StartAsync();

        ProcessResult result = await RunAsNobodyAsync(server, "status", "--json", group.Name);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Permission denied connecting to the dso agent's socket {server.SocketPath}", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"'sudo usermod -aG {group.Name} $USER'", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(server.LogLines, line => line.Contains("Rejected a connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_OutsideGroupOpenSocket_Returns403()
    {
        using var group = new TemporaryGroup();
        await using ApiTestServer server = await new ApiTestServer(group.Name).StartAsync();
        File.SetUnixFileMode(server.SocketPath, (UnixFileMode)0b110_110_110);

        ProcessResult result = await RunAsNobodyAsync(server, "status", "--json", group.Name);

        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        Assert.Contains($"responded to GET /v1/status with HTTP 403: The dso agent rejected GET /v1/status: uid {NobodyUid} (nobody) is not root and not in the group '{group.Name}'", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"'sudo usermod -aG {group.Name} nobody'", result.StandardError, StringComparison.Ordinal);
        Assert.Contains(server.LogLines, line => line.StartsWith($"Warning: Rejected a connection to the agent API from uid {NobodyUid} (gid {NobodyUid}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rotate_OutsideGroupOpenSocket_RotatesNothing()
    {
        using var group = new TemporaryGroup();
        await using ApiTestServer server = await new ApiTestServer(group.Name).StartAsync();
        File.SetUnixFileMode(server.SocketPath, (UnixFileMode)0b110_110_110);

        ProcessResult result = await RunAsNobodyAsync(server, "rotate", "db_password", group.Name);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("responded to POST /v1/rotate with HTTP 403", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(server.Control.RotateCalls);
    }

    [Fact]
    public async Task Status_InGroup_Allowed()
    {
        await using ApiTestServer server = await new ApiTestServer("nogroup").StartAsync();

        ProcessResult result = await RunAsNobodyAsync(server, "status", "--json", "nogroup");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("\"pid\": 4242", result.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>Runs dso COMMAND OPTION as uid and gid 65534 with no supplementary groups. DSO_GROUP names the server's group.</summary>
    private static Task<ProcessResult> RunAsNobodyAsync(ApiTestServer server, string command, string option, string groupName) =>
        ExternalProcess.RunAsync(
            "setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--", DsoCli.ExecutablePath, command, option],
            TimeSpan.FromMinutes(1),
            new Dictionary<string, string>
            {
                ["DSO_SOCKET"] = server.SocketPath,
                ["DSO_HOME"] = Path.Combine(server.Directory, "home"),
                ["HOME"] = server.Directory,
                ["DSO_GROUP"] = groupName,
            });

    /// <summary>A uniquely named system group (dsotestXXXXXXXX) with no members, deleted on dispose.</summary>
    private sealed class TemporaryGroup : IDisposable
    {
        public TemporaryGroup()
        {
            Name = "dsotest" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            (int exitCode, _, string error) = AgentTestRoot.Run("groupadd", "--system", Name);
            Assert.True(exitCode == 0, $"groupadd --system {Name} failed: {error}");
        }

        public string Name { get; }

        public void Dispose() => AgentTestRoot.Run("groupdel", Name);
    }
}
