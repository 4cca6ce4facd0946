using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Dso.Agent.Runtime;
using Dso.Agent.Tests.Api;
using Dso.Cli.Tests.Infrastructure;
using Dso.Core.IO;

namespace Dso.Cli.Tests.Agent;

/// <summary>dso status and dso rotate run as real processes against the real agent API server on a temporary socket.</summary>
public sealed class AgentApiCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TestHome _home = new();
    private ApiTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await new ApiTestServer().StartAsync();
        _home.Environment["DSO_SOCKET"] = _server.SocketPath;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Status_Text_ListsProvidersSecretsTargetsAndRotations()
    {
        DsoResult result = await DsoCli.RunAsync(_home, ["status"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string output = result.StandardOutput;
        Assert.Contains("dso agent: pid 4242, running since 2026-12-04 20:00:00Z, config /etc/dso/dso.yaml", output, StringComparison.Ordinal);
        Assert.Contains("vault-main  vault  healthy", output, StringComparison.Ordinal);
        Assert.Contains("unhealthy: AWS Secrets Manager returned HTTP 403 AccessDeniedException", output, StringComparison.Ordinal);
        Assert.Contains("access denied (3 in a row)", output, StringComparison.Ordinal);
        Assert.Contains("shop-api-1 (0123456789ab)", output, StringComparison.Ordinal);
        Assert.Contains("db_password=7", output, StringComparison.Ordinal);
        Assert.Contains("health check timed out after 60s", output, StringComparison.Ordinal);
        Assert.Contains("20261204T213000-0a1b2c3d", output, StringComparison.Ordinal);
        Assert.True(
            output.IndexOf("PROVIDERS", StringComparison.Ordinal) < output.IndexOf("SECRETS", StringComparison.Ordinal)
            && output.IndexOf("SECRETS", StringComparison.Ordinal) < output.IndexOf("TARGETS", StringComparison.Ordinal)
            && output.IndexOf("TARGETS", StringComparison.Ordinal) < output.IndexOf("ROTATIONS IN FLIGHT", StringComparison.Ordinal),
            output);
    }

    [Fact]
    public async Task Status_Json_HasApiShape()
    {
        DsoResult result = await DsoCli.RunAsync(_home, ["status", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        JsonElement root = document.RootElement;
        Assert.Equal(["pid", "started_at", "config", "providers", "secrets", "targets", "rotations_in_flight"], root.EnumerateObject().Select(property => property.Name));
        Assert.Equal(["name", "type", "healthy", "reason", "since"], root.GetProperty("providers")[0].EnumerateObject().Select(property => property.Name));
        Assert.Equal(["name", "provider", "version", "last_checked", "error", "consecutive_errors"], root.GetProperty("secrets")[0].EnumerateObject().Select(property => property.Name));
        Assert.Equal(["target", "container_id", "container_name", "strategy", "applied", "state", "last_error"], root.GetProperty("targets")[0].EnumerateObject().Select(property => property.Name));
        Assert.Equal("failed", root.GetProperty("targets")[1].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("secrets")[1].GetProperty("version").ValueKind);
    }

    [Fact]
    public async Task StatusWatch_StatusChanges_PrintsEachUntilInterrupted()
    {
        using var process = Process.Start(DsoCli.CreateStartInfo(_home, ["status", "--watch", "--json"]))!;
        try
        {
            string? first = await ReadLineAsync(process);
            _server.Control.SetStatus(TestAgentControl.SampleStatus() with { Pid = 1001 });
            string? second = await ReadLineAsync(process);
            _server.Control.SetStatus(TestAgentControl.SampleStatus() with { RotationsInFlight = [] });
            string? third = await ReadLineAsync(process);

            Assert.Equal(4242, PidOf(first));
            Assert.Equal(1001, PidOf(second));
            using JsonDocument last = JsonDocument.Parse(third!);
            Assert.Equal(0, last.RootElement.GetProperty("rotations_in_flight").GetArrayLength());

            // Ctrl-C in a terminal sends SIGINT, after which --watch ends with exit code 0.
            (int killExit, _, string killError) = AgentTestRoot.Run("kill", "-s", "INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(killExit == 0, killError);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task StatusWatch_AgentStops_ExitsWithError()
    {
        using var process = Process.Start(DsoCli.CreateStartInfo(_home, ["status", "--watch"]))!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            Assert.Equal("--- ", (await ReadLineAsync(process))?[..4]);

            await _server.Server.StopAsync(CancellationToken.None);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(1, process.ExitCode);
            Assert.Contains($"The dso agent on {_server.SocketPath} ended the status stream", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Rotate_AllCompleted_PrintsOutcomesExit0()
    {
        _server.Control.SetRotationResult(new ManualRotationResult("db_password", "8",
        [
            new TargetRotationResult("compose:shop/api", "20261204T220000-aaaa0001", "completed", Error: null),
            new TargetRotationResult("container:billing", "20261204T220000-aaaa0002", "completed", Error: null),
        ]));

        DsoResult result = await DsoCli.RunAsync(_home, ["rotate", "db_password"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("secret db_password, version 8:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("compose:shop/api   completed  rotation 20261204T220000-aaaa0001", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("container:billing  completed  rotation 20261204T220000-aaaa0002", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(["db_password"], _server.Control.RotateCalls);
    }

    [Fact]
    public async Task Rotate_OneTargetFailed_Exit1WithError()
    {
        _server.Control.SetRotationResult(new ManualRotationResult("db_password", "8",
        [
            new TargetRotationResult("compose:shop/api", "20261204T220000-aaaa0001", "completed", Error: null),
            new TargetRotationResult("container:billing", "20261204T220000-aaaa0002", "failed", "health check timed out after 60s"),
        ]));

        DsoResult result = await DsoCli.RunAsync(_home, ["rotate", "db_password"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("container:billing  failed  rotation 20261204T220000-aaaa0002  error: health check timed out after 60s", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("1 of 2 rotations failed", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_NothingToRotate_SaysSoExit0()
    {
        _server.Control.SetRotationResult(new ManualRotationResult("db_password", "7", []));

        DsoResult result = await DsoCli.RunAsync(_home, ["rotate", "db_password"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("secret db_password: every target already has version 7; nothing was rotated", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_Json_HasApiShapeAndExitCode()
    {
        _server.Control.SetRotationResult(new ManualRotationResult("db_password", "8",
        [
            new TargetRotationResult("container:billing", RotationId: null, "failed", "no container is running for the target"),
        ]));

        DsoResult result = await DsoCli.RunAsync(_home, ["rotate", "db_password", "--json"]);

        Assert.Equal(1, result.ExitCode);
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(["secret", "version", "rotations", "error"], document.RootElement.EnumerateObject().Select(property => property.Name));
        JsonElement rotation = document.RootElement.GetProperty("rotations")[0];
        Assert.Equal(["target", "rotation_id", "outcome", "error"], rotation.EnumerateObject().Select(property => property.Name));
        Assert.Equal(JsonValueKind.Null, rotation.GetProperty("rotation_id").ValueKind);
        Assert.Equal("no container is running for the target", rotation.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Rotate_SlowAgent_StopsWaitingAtTimeout()
    {
        var neverDone = new TaskCompletionSource();
        _server.Control.RotationGate = neverDone.Task;
        _server.Control.SetRotationResult(new ManualRotationResult("db_password", "8", []));
        var clock = Stopwatch.StartNew();

        DsoResult result = await DsoCli.RunAsync(_home, ["rotate", "db_password", "--timeout", "2s"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"dso rotate stopped waiting after 2s, but the agent on {_server.SocketPath} goes on rotating secret db_password.", result.StandardError, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"dso rotate waited {clock.Elapsed}");
        Assert.Equal(["db_password"], _server.Control.RotateCalls);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("10")]
    [InlineData("-5m")]
    public async Task Rotate_BadTimeout_Rejected(string value)
    {
        DsoResult result = await DsoCli.RunAsync(_home, ["rotate", "db_password", "--timeout", value]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"--timeout must be a positive duration such as 30s, 2m or 1h, not \"{value}\".", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(_server.Control.RotateCalls);
    }

    [Theory]
    [InlineData("25d")]
    [InlineData("50d")]
    public async Task Rotate_TimeoutBeyondTimers_Rejected(string value)
    {
        DsoResult result = await DsoCli.RunAsync(_home, ["rotate", "db_password", "--timeout", value]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"--timeout must be at most 24d, not \"{value}\".", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(_server.Control.RotateCalls);
    }

    [Fact]
    public async Task Rotate_FetchFailed_SaysNothingRotated()
    {
        const string Cause = "Provider main: /var/lib/dso/vault.enc has no entry db_password. Add it with dso secret set db_password.";
        _server.Control.SetRotationResult(new ManualRotationResult("db_password", null, [], Cause));

        DsoResult text = await DsoCli.RunAsync(_home, ["rotate", "db_password"]);
        DsoResult json = await DsoCli.RunAsync(_home, ["rotate", "db_password", "--json"]);

        Assert.Equal(1, text.ExitCode);
        Assert.Contains($"secret db_password could not be fetched, so nothing was rotated: {Cause}", text.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("rotations failed", text.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(1, json.ExitCode);
        using JsonDocument document = JsonDocument.Parse(json.StandardOutput);
        Assert.Equal(Cause, document.RootElement.GetProperty("error").GetString());
        Assert.Equal(0, document.RootElement.GetProperty("rotations").GetArrayLength());
    }

    [Fact]
    public async Task Rotate_UnknownSecret_PrintsAgentError()
    {
        DsoResult result = await DsoCli.RunAsync(_home, ["rotate", "no_such_secret"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"The dso agent on {_server.SocketPath} responded to POST /v1/rotate with HTTP 404: The secret no_such_secret is not configured", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NoAgent_SaysHowToStart()
    {
        string missing = Path.Combine(_home.Root, "nothing-here.sock");

        DsoResult result = await DsoCli.RunAsync(_home, ["status"], environment: new Dictionary<string, string> { ["DSO_SOCKET"] = missing });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"No dso agent is listening on {missing} (the socket file does not exist)", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("'systemctl start dso-agent'", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("'dso agent'", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_StaleSocket_SaysNothingAccepts()
    {
        string stale = Path.Combine(_home.Root, "stale.sock");
        string keep = stale + ".keep";
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // .NET unlinks a bound socket's path on dispose, so a second hard link keeps the file, as a killed agent leaves it.
            listener.Bind(new UnixDomainSocketEndPoint(stale));
            Assert.True(Libc.TryLinkNoReplace(stale, keep));
        }

        File.Move(keep, stale);

        DsoResult result = await DsoCli.RunAsync(_home, ["status"], environment: new Dictionary<string, string> { ["DSO_SOCKET"] = stale });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"No dso agent is listening on {stale} (the socket file exists, but no process accepts connections on it)", result.StandardError, StringComparison.Ordinal);
    }

    private static async Task<string?> ReadLineAsync(Process process) =>
        await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));

    private static int PidOf(string? line)
    {
        Assert.NotNull(line);
        using JsonDocument document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("pid").GetInt32();
    }
}
