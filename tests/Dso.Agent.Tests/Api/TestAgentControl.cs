using Dso.Agent.Runtime;
using Dso.Core;

namespace Dso.Agent.Tests.Api;

/// <summary>
/// A small stand-in for the running agent behind the local API: a status that tests replace, and manual rotation
/// results set per secret. Dso.Cli.Tests compiles this file too.
/// </summary>
internal sealed class TestAgentControl : IAgentControl
{
    private readonly Dictionary<string, ManualRotationResult> _rotations = new(StringComparer.Ordinal);
    private AgentStatus _status = SampleStatus();

    public event EventHandler? StatusChanged;

    /// <summary>When set, GetStatus throws it, to test how the API reports an agent failure.</summary>
    public Exception? StatusFailure { get; set; }

    /// <summary>When set, a manual rotation waits for this task before it returns, to test a rotation that takes time.</summary>
    public Task? RotationGate { get; set; }

    public List<string> RotateCalls { get; } = [];

    public AgentStatus GetStatus() => StatusFailure is { } failure ? throw failure : Volatile.Read(ref _status);

    public async Task<ManualRotationResult> RotateSecretAsync(string secretName, CancellationToken cancellationToken)
    {
        lock (RotateCalls)
        {
            RotateCalls.Add(secretName);
        }

        if (RotationGate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        return _rotations.TryGetValue(secretName, out ManualRotationResult? result)
            ? result
            : throw new DsoException($"The secret {secretName} is not configured in dso.yaml. Add it under secrets:, or check the name with 'dso config'.");
    }

    public void SetRotationResult(ManualRotationResult result) => _rotations[result.Secret] = result;

    /// <summary>Replaces the status and raises StatusChanged, as the agent does after a poll or a rotation step.</summary>
    public void SetStatus(AgentStatus status)
    {
        Volatile.Write(ref _status, status);
        StatusChanged?.Invoke(this, EventArgs.Empty);
    }

    public static AgentStatus SampleStatus() => new()
    {
        Pid = 4242,
        StartedAt = new DateTimeOffset(2026, 12, 4, 20, 0, 0, TimeSpan.Zero),
        ConfigPath = "/etc/dso/dso.yaml",
        Providers =
        [
            new ProviderStatus("vault-main", "vault", Healthy: true, Reason: null, new DateTimeOffset(2026, 12, 4, 20, 0, 5, TimeSpan.Zero)),
            new ProviderStatus("aws-prod", "aws", Healthy: false, "AWS Secrets Manager returned HTTP 403 AccessDeniedException", new DateTimeOffset(2026, 12, 4, 21, 0, 0, TimeSpan.Zero)),
        ],
        Secrets =
        [
            new SecretStatus { Name = "db_password", Provider = "vault-main", Version = "7", LastChecked = new DateTimeOffset(2026, 12, 4, 21, 30, 0, TimeSpan.Zero) },
            new SecretStatus { Name = "api_key", Provider = "aws-prod", Version = null, LastChecked = new DateTimeOffset(2026, 12, 4, 21, 30, 0, TimeSpan.Zero), Error = "access denied", ConsecutiveErrors = 3 },
        ],
        Targets =
        [
            new TargetStatus
            {
                Target = "compose:shop/api",
                ContainerId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                ContainerName = "shop-api-1",
                Strategy = "rolling",
                Applied = new Dictionary<string, string> { ["db_password"] = "7" },
                State = "current",
            },
            new TargetStatus
            {
                Target = "container:billing",
                Strategy = "restart",
                Applied = new Dictionary<string, string>(),
                State = "failed",
                LastError = "health check timed out after 60s",
            },
        ],
        RotationsInFlight = ["20261204T213000-0a1b2c3d"],
    };
}
