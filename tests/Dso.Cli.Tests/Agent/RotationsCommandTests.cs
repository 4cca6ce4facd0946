using System.Text.Json;
using Dso.Agent.Journal;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent;

/// <summary>dso rotations run as a real process against a journal in a temporary state directory.</summary>
public sealed class RotationsCommandTests : IDisposable
{
    private readonly AgentStateHome _state = new();
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Rotations_MissingJournal_PrintsNoneYet()
    {
        DsoResult result = await _state.RunAsync("rotations");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("no rotations recorded yet", result.StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_state.StateDirectory));
    }

    [Fact]
    public async Task Rotations_CorruptJournal_FailsNamingFile()
    {
        Directory.CreateDirectory(_state.StateDirectory);
        await File.WriteAllTextAsync(_state.JournalPath, "{\"format\": 1, \"rotations\": [");

        DsoResult result = await _state.RunAsync("rotations");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(_state.JournalPath, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotations_Json_NewestFirstWithFullIds()
    {
        RotationRecord oldest = _state.AddRotation("compose:shop/api", _now.AddHours(-3), RotationStep.Completed);
        RotationRecord failed = _state.AddRotation("compose:shop/web", _now.AddHours(-2), RotationStep.Failed, "health check timed out after 60s");
        RotationRecord running = _state.AddRotation("compose:shop/api", _now.AddHours(-1), RotationStep.NewContainerCreated);

        DsoResult result = await _state.RunAsync("rotations", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        JsonElement[] rotations = [.. document.RootElement.GetProperty("rotations").EnumerateArray()];
        Assert.Equal([running.Id, failed.Id, oldest.Id], rotations.Select(rotation => rotation.GetProperty("id").GetString()));
        Assert.Equal(
            ["id", "target", "strategy", "step", "secrets", "old_container_id", "new_container_id", "started_at", "finished_at", "error"],
            rotations[0].EnumerateObject().Select(property => property.Name));
        Assert.Equal("new_container_created", rotations[0].GetProperty("step").GetString());
        Assert.Equal(AgentStateHome.OldContainerId, rotations[0].GetProperty("old_container_id").GetString());
        Assert.Equal(AgentStateHome.NewContainerId, rotations[0].GetProperty("new_container_id").GetString());
        Assert.Equal(JsonValueKind.Null, rotations[0].GetProperty("finished_at").ValueKind);
        Assert.Equal("failed", rotations[1].GetProperty("step").GetString());
        Assert.Equal("health check timed out after 60s", rotations[1].GetProperty("error").GetString());
        Assert.Equal(oldest.StartedAt, rotations[2].GetProperty("started_at").GetDateTimeOffset());
        Assert.Equal(oldest.StartedAt.AddSeconds(10), rotations[2].GetProperty("finished_at").GetDateTimeOffset());
        JsonElement secret = rotations[2].GetProperty("secrets")[0];
        Assert.Equal("db_password", secret.GetProperty("name").GetString());
        Assert.Equal("vault", secret.GetProperty("provider").GetString());
        Assert.Equal("7", secret.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Rotations_Text_ShortIdsNewestFirst()
    {
        RotationRecord older = _state.AddRotation("compose:shop/api", _now.AddHours(-2), RotationStep.Completed);
        RotationRecord newer = _state.AddRotation("compose:shop/web", _now.AddHours(-1), RotationStep.Failed, "health check timed out after 60s");

        DsoResult result = await _state.RunAsync("rotations");

        Assert.True(result.ExitCode == 0, result.ToString());
        string output = result.StandardOutput;
        Assert.True(output.IndexOf(newer.Id, StringComparison.Ordinal) < output.IndexOf(older.Id, StringComparison.Ordinal), output);
        Assert.Contains($"old {AgentStateHome.OldContainerId[..12]}, new {AgentStateHome.NewContainerId[..12]}", output, StringComparison.Ordinal);
        Assert.DoesNotContain(AgentStateHome.OldContainerId, output, StringComparison.Ordinal);
        Assert.Contains("db_password (vault version 7), api_key (local version 3)", output, StringComparison.Ordinal);
        Assert.Contains("error:       health check timed out after 60s", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotations_LimitAndTarget_SelectNewestOfTarget()
    {
        _state.AddRotation("compose:shop/api", _now.AddHours(-4), RotationStep.Completed);
        RotationRecord secondApi = _state.AddRotation("compose:shop/api", _now.AddHours(-3), RotationStep.Completed);
        _state.AddRotation("compose:shop/web", _now.AddHours(-2), RotationStep.Completed);
        RotationRecord newestApi = _state.AddRotation("compose:shop/api", _now.AddHours(-1), RotationStep.Completed);

        DsoResult result = await _state.RunAsync("rotations", "--json", "--target", "compose:shop/api", "--limit", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal([newestApi.Id, secondApi.Id], document.RootElement.GetProperty("rotations").EnumerateArray().Select(rotation => rotation.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Rotations_LimitZero_IsUsageError()
    {
        DsoResult result = await _state.RunAsync("rotations", "--limit", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--limit", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotations_ValueInJournal_IsNeverPrinted()
    {
        // A journal written by a faulty writer with a value beside the version: only name, provider and version are printed.
        const string Value = "s3cr3t-VALUE-must-not-appear";
        _state.AddRotation("compose:shop/api", _now.AddHours(-1), RotationStep.Completed);
        string journal = await File.ReadAllTextAsync(_state.JournalPath);
        await File.WriteAllTextAsync(_state.JournalPath, journal.Replace("\"version\": \"7\"", $"\"version\": \"7\", \"value\": \"{Value}\"", StringComparison.Ordinal));
        Assert.Contains(Value, await File.ReadAllTextAsync(_state.JournalPath), StringComparison.Ordinal);

        DsoResult text = await _state.RunAsync("rotations");
        DsoResult json = await _state.RunAsync("rotations", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.DoesNotContain(Value, text.StandardOutput + text.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(Value, json.StandardOutput + json.StandardError, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(json.StandardOutput);
        JsonElement secret = document.RootElement.GetProperty("rotations")[0].GetProperty("secrets")[0];
        Assert.Equal(["name", "provider", "version"], secret.EnumerateObject().Select(property => property.Name));
    }

    public void Dispose() => _state.Dispose();
}
