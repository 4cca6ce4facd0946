using System.Collections.Concurrent;
using Docker.DotNet;
using Docker.DotNet.Models;
using Dso.Agent.Configuration;
using Dso.Agent.Journal;
using Dso.Agent.Locks;
using Dso.Agent.Providers;
using Dso.Core;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Runtime;

/// <summary>
/// The agent's single decision loop: polls providers, follows the container catalog, compares what each target
/// has with what it should have, and runs due rotations one at a time. A change waits for its debounce, so that a
/// burst rotates once, and for the target's cooldown. All changed secrets of a container go into one replacement.
/// A failed rotation is retried with backoff, and a fetch error is never a change.
/// </summary>
internal sealed partial class AgentCoordinator : IAgentControl, IDisposable
{
    // The reason NeedsRotationAsync returns when a value cannot reach the container, such as a NUL byte in an environment variable.
    private const string Undeliverable = "undeliverable";

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan BusyRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HousekeepingInterval = TimeSpan.FromMinutes(1);

    private readonly AgentConfig _config;
    private readonly IReadOnlyDictionary<string, ISecretProvider> _providers;
    private readonly SecretMonitor _monitor;
    private readonly ContainerCatalog _catalog;
    private readonly RotationExecutor _executor;
    private readonly SecretDelivery _delivery;
    private readonly RotationJournal _journal;
    private readonly LockManager _locks;
    private readonly DockerClient _docker;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentQueue<ManualRequest> _manual = new();
    private readonly Dictionary<string, TargetState> _targets = new(StringComparer.Ordinal);
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);

    /// <summary>Versions delivered to new or moved targets during the current pass, written to the journal at its end.</summary>
    private readonly Dictionary<string, IReadOnlyList<SecretVersion>> _appliedToRecord = new(StringComparer.Ordinal);
    private readonly Lock _statusGate = new();
    private DateTimeOffset _startedAt;

    public AgentCoordinator(
        AgentConfig config,
        IReadOnlyDictionary<string, ISecretProvider> providers,
        SecretMonitor monitor,
        ContainerCatalog catalog,
        RotationExecutor executor,
        SecretDelivery delivery,
        RotationJournal journal,
        LockManager locks,
        DockerClient docker,
        TimeProvider time,
        ILogger logger)
    {
        _config = config;
        _providers = providers;
        _monitor = monitor;
        _catalog = catalog;
        _executor = executor;
        _delivery = delivery;
        _journal = journal;
        _locks = locks;
        _docker = docker;
        _time = time;
        _logger = logger;
        _catalog.Changed += (_, _) => Wake();
        _executor.StepRecorded += (_, _) => RaiseStatusChanged();
    }

    public event EventHandler? StatusChanged;

    /// <summary>Raised once start-up (lock cleanup, recovery, first poll) is done; the host then reports READY.</summary>
    public event EventHandler? Ready;

    /// <summary>Rotations started since the agent started, for tests and status.</summary>
    public int RotationCount => Volatile.Read(ref _rotationCount);

    private int _rotationCount;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _startedAt = _time.GetUtcNow();
        // The lock manager logs each stale lock it removes.
        _locks.CleanStale();
        int recovered = await _executor.RecoverAsync(cancellationToken);
        int pruned = _journal.Prune(_config.Agent.Retention);
        LogStarted(_config.Path, _config.Secrets.Count, _providers.Count, recovered, pruned);
        await _catalog.RefreshAsync(cancellationToken, force: true);

        // The watcher ends only when cancelled: when the loop fails, finally must stop it, or the agent hangs alive.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task watcher = _catalog.WatchAsync(watching.Token);
        await _monitor.PollAsync(cancellationToken);
        await SweepSecretFilesAsync(cancellationToken);
        DateTimeOffset nextPoll = _time.GetUtcNow() + _config.Agent.PollInterval;
        DateTimeOffset nextHousekeeping = _time.GetUtcNow() + HousekeepingInterval;
        Ready?.Invoke(this, EventArgs.Empty);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                DateTimeOffset now = _time.GetUtcNow();
                if (now >= nextPoll)
                {
                    await _monitor.PollAsync(cancellationToken);
                    nextPoll = _time.GetUtcNow() + _config.Agent.PollInterval;
                    RaiseStatusChanged();
                }

                if (now >= nextHousekeeping)
                {
                    Housekeeping();
                    nextHousekeeping = now + HousekeepingInterval;
                }

                if (await _catalog.RefreshAsync(cancellationToken))
                {
                    RaiseStatusChanged();
                }

                await ServeManualRequestsAsync(cancellationToken);
                DateTimeOffset nextDue = await EvaluateAsync(cancellationToken);
                DateTimeOffset wakeAt = nextPoll < nextDue ? nextPoll : nextDue;
                wakeAt = wakeAt < nextHousekeeping ? wakeAt : nextHousekeeping;
                TimeSpan wait = wakeAt - _time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await _wake.WaitAsync(wait, cancellationToken);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            await watching.CancelAsync();
            await watcher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (ManualRequest pending in _manual)
            {
                pending.Completion.TrySetCanceled(cancellationToken);
            }
        }
    }

    public AgentStatus GetStatus()
    {
        IReadOnlyList<ManagedContainer> containers = _catalog.Containers;
        var targets = new List<TargetStatus>();
        lock (_statusGate)
        {
            foreach (ManagedContainer container in containers)
            {
                TargetState? state = _targets.GetValueOrDefault(container.TargetKey);
                targets.Add(new TargetStatus
                {
                    Target = container.TargetKey,
                    ContainerId = container.Id,
                    ContainerName = container.Name,
                    Strategy = RotationPlan.NameOf(container.Strategy),
                    Applied = _journal.AppliedVersions(container.TargetKey).ToDictionary(pair => pair.Key, pair => pair.Value.Version, StringComparer.Ordinal),
                    State = state?.State ?? (container.Running ? "unchecked" : "stopped"),
                    LastError = state?.LastError,
                });
            }
        }

        return new AgentStatus
        {
            Pid = Environment.ProcessId,
            StartedAt = _startedAt,
            ConfigPath = _config.Path,
            Providers = _providers.Values
                .Select(provider => (provider, type: _config.Providers[provider.Name].Type))
                .Select(pair => new ProviderStatus(pair.provider.Name, pair.type.ToString().ToLowerInvariant(), pair.provider.Health.IsHealthy, pair.provider.Health.Reason, pair.provider.Health.Since))
                .OrderBy(status => status.Name, StringComparer.Ordinal)
                .ToList(),
            Secrets = _monitor.Status(),
            Targets = targets,
            RotationsInFlight = _executor.Running.ToList(),
        };
    }

    public Task<ManualRotationResult> RotateSecretAsync(string secretName, CancellationToken cancellationToken)
    {
        if (!_config.Secrets.ContainsKey(secretName))
        {
            throw new DsoException($"Secret {secretName} is not declared in {_config.Path}. dso status lists the secrets the agent knows.");
        }

        var request = new ManualRequest(secretName, new TaskCompletionSource<ManualRotationResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        _manual.Enqueue(request);
        Wake();
        return request.Completion.Task.WaitAsync(cancellationToken);
    }

    public void Dispose() => _wake.Dispose();

    private void Wake() => _wake.Release();

    private void RaiseStatusChanged() => StatusChanged?.Invoke(this, EventArgs.Empty);

    private async Task ServeManualRequestsAsync(CancellationToken cancellationToken)
    {
        while (_manual.TryDequeue(out ManualRequest? request))
        {
            try
            {
                request.Completion.TrySetResult(await RotateNowAsync(request.Secret, cancellationToken));
            }
            catch (ProviderException error)
            {
                request.Completion.TrySetResult(new ManualRotationResult(request.Secret, null, [], error.Message));
            }
        }
    }

    private async Task<ManualRotationResult> RotateNowAsync(string secretName, CancellationToken cancellationToken)
    {
        try
        {
            return await RotateTargetsOfAsync(secretName, cancellationToken);
        }
        finally
        {
            RecordApplied();
        }
    }

    private async Task<ManualRotationResult> RotateTargetsOfAsync(string secretName, CancellationToken cancellationToken)
    {
        CurrentSecret current = await _monitor.RefreshAsync(secretName, cancellationToken);
        await _catalog.RefreshAsync(cancellationToken, force: true);
        var results = new List<TargetRotationResult>();
        foreach (ManagedContainer container in _catalog.Containers.Where(container => container.Running && container.Secrets.Any(secret => secret.Name == secretName)))
        {
            Dictionary<string, CurrentSecret>? values = CurrentValues(container, out string? missing);
            if (values is null)
            {
                results.Add(new TargetRotationResult(container.TargetKey, null, "skipped", $"secret {missing} of this container has not been fetched yet"));
                continue;
            }

            (bool needed, string reason) = await NeedsRotationAsync(container, values, cancellationToken);
            if (!needed)
            {
                results.Add(new TargetRotationResult(container.TargetKey, null, "current", null));
                continue;
            }

            RotationResult result = await RunRotationAsync(container, values, "dso rotate " + secretName + ": " + reason, cancellationToken);
            results.Add(new TargetRotationResult(container.TargetKey, result.RotationId,
                result.Outcome.ToString().ToLowerInvariant(), result.Error));
        }

        return new ManualRotationResult(secretName, current.Version, results);
    }

    /// <summary>Decides for every managed container whether it needs a rotation and runs the due ones; returns when to look again.</summary>
    private async Task<DateTimeOffset> EvaluateAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await EvaluateTargetsAsync(cancellationToken);
        }
        finally
        {
            RecordApplied();
        }
    }

    private async Task<DateTimeOffset> EvaluateTargetsAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset nextDue = DateTimeOffset.MaxValue;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ManagedContainer container in _catalog.Containers)
        {
            seen.Add(container.TargetKey);
            if (!container.Running)
            {
                continue;
            }

            try
            {
                nextDue = Earliest(nextDue, await EvaluateContainerAsync(container, cancellationToken));
            }
            catch (Exception error) when (error is not OperationCanceledException and not OutOfMemoryException)
            {
                // One container's failure must not stop the loop for the others: report it and look again later.
                TargetState failed = StateOf(container.TargetKey);
                DateTimeOffset retry = _time.GetUtcNow() + FirstRetryDelay;
                lock (_statusGate)
                {
                    failed.State = "failed";
                    failed.LastError = error.Message;
                    failed.RetryAt = retry;
                }

                LogTargetFailed(container.TargetKey, container.Name, error.GetType().Name, error.Message);
                nextDue = Earliest(nextDue, retry);
            }
        }

        lock (_statusGate)
        {
            foreach (string gone in _targets.Keys.Where(key => !seen.Contains(key)).ToList())
            {
                _targets.Remove(gone);
            }
        }

        return nextDue;
    }

    /// <summary>Decides whether one running container needs a rotation and runs it when due; returns when to look again.</summary>
    private async Task<DateTimeOffset> EvaluateContainerAsync(ManagedContainer container, CancellationToken cancellationToken)
    {
        TargetState state = StateOf(container.TargetKey);
        Dictionary<string, CurrentSecret>? values = CurrentValues(container, out string? missing);
        if (values is null)
        {
            lock (_statusGate)
            {
                state.State = "waiting";
                state.LastError = $"secret {missing} has no value yet: the agent has not fetched it successfully (see its error under secrets)";
            }

            return DateTimeOffset.MaxValue;
        }

        if (state.State == "waiting")
        {
            lock (_statusGate)
            {
                state.State = "unchecked";
                state.LastError = null;
            }
        }

        if (state.RetryAt > _time.GetUtcNow() && state.State == "failed" && state.Pending is null)
        {
            return state.RetryAt;
        }

        (bool needed, string reason) = await NeedsRotationAsync(container, values, cancellationToken);
        if (!needed && reason == Undeliverable)
        {
            // NeedsRotationAsync set the state to failed with the reason, and it stays failed until the value changes.
            return DateTimeOffset.MaxValue;
        }

        if (!needed)
        {
            lock (_statusGate)
            {
                state.Pending = null;
                state.State = "current";
            }

            return DateTimeOffset.MaxValue;
        }

        DateTimeOffset now = _time.GetUtcNow();
        string expected = string.Join(',', values.Values.OrderBy(value => value.Name, StringComparer.Ordinal).Select(value => value.Fingerprint));
        RotationPlan plan = RotationPlan.For(container);
        lock (_statusGate)
        {
            bool sameChange = state.Pending == expected;
            if (!sameChange)
            {
                state.Pending = expected;
                state.LastChange = now;
            }

            // A failed rotation that waits for its retry stays "failed" until the retry runs or the values move again.
            if (!(sameChange && state.State == "failed" && state.RetryAt > now))
            {
                state.State = "pending";
            }
        }

        DateTimeOffset due = Max(state.LastChange + plan.Debounce, state.LastRotation + plan.Cooldown, state.RetryAt);
        if (due > now)
        {
            return due;
        }

        RotationResult result = await RunRotationAsync(container, values, reason, cancellationToken);
        return result.Outcome == RotationOutcome.Completed ? DateTimeOffset.MaxValue : state.RetryAt;
    }

    private async Task<RotationResult> RunRotationAsync(ManagedContainer container, IReadOnlyDictionary<string, CurrentSecret> values, string reason, CancellationToken cancellationToken)
    {
        TargetState state = StateOf(container.TargetKey);
        lock (_statusGate)
        {
            state.State = "rotating";
        }

        Interlocked.Increment(ref _rotationCount);
        RaiseStatusChanged();
        RotationResult result = await _executor.RotateAsync(container, RotationPlan.For(container), values, reason, cancellationToken);
        DateTimeOffset now = _time.GetUtcNow();
        lock (_statusGate)
        {
            switch (result.Outcome)
            {
                case RotationOutcome.Completed:
                    state.LastRotation = now;
                    state.Failures = 0;
                    state.RetryAt = DateTimeOffset.MinValue;
                    state.Pending = null;
                    state.LastError = null;
                    state.State = "current";
                    break;
                case RotationOutcome.Busy:
                    state.RetryAt = now + BusyRetryDelay;
                    state.State = "pending";
                    break;
                default:
                    state.Failures++;
                    double factor = Math.Pow(2, Math.Min(state.Failures - 1, 10));
                    TimeSpan delay = TimeSpan.FromTicks((long)Math.Min(FirstRetryDelay.Ticks * factor, MaxRetryDelay.Ticks));
                    state.RetryAt = now + delay;
                    state.LastRotation = now;
                    state.LastError = result.Error;
                    state.State = "failed";
                    break;
            }
        }

        // The replacement is a new container; the catalog lists it on the next pass.
        _catalog.MarkDirty();
        RaiseStatusChanged();
        return result;
    }

    /// <summary>
    /// True when the target's applied versions differ from the current values, or when the container (seen for the
    /// first time by this agent process) lacks its mounts or environment. A container that already has everything
    /// gets its files rewritten, which restores them after a reboot emptied tmpfs.
    /// </summary>
    private async Task<(bool Needed, string Reason)> NeedsRotationAsync(ManagedContainer container, Dictionary<string, CurrentSecret> values, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, AppliedSecret> applied = _journal.AppliedVersions(container.TargetKey);
        List<string> changed = values.Values
            .Where(value => !applied.TryGetValue(value.Name, out AppliedSecret? previous) || previous.Fingerprint != value.Fingerprint)
            .Select(value => value.Name)
            .ToList();
        bool firstSight = applied.Count == 0;
        if (_verified.Contains(container.Id))
        {
            return changed.Count == 0 ? (false, "") : (true, $"{string.Join(", ", changed)} changed");
        }

        ContainerInspectResponse inspect;
        try
        {
            inspect = await _docker.Containers.InspectContainerAsync(container.Id, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            _catalog.MarkDirty();
            return (false, "");
        }

        string? generation = _delivery.MountedGeneration(container, inspect, out string? mountProblem);
        IReadOnlyDictionary<string, string> environment;
        try
        {
            environment = SecretDelivery.Environment(container, values);
        }
        catch (DsoException error)
        {
            TargetState state = StateOf(container.TargetKey);
            if (state.LastError != error.Message)
            {
                LogUndeliverable(container.TargetKey, error.Message);
            }

            lock (_statusGate)
            {
                state.LastError = error.Message;
                state.State = "failed";
            }

            return (false, Undeliverable);
        }

        bool environmentCurrent = SecretDelivery.HasEnvironment(inspect, environment, out string? environmentProblem);
        if (generation is null)
        {
            return (true, $"container {container.Name} lacks its secret mounts: {mountProblem}");
        }

        // Strategy none never replaces a container, so an out-of-date environment is left as it is.
        if (!environmentCurrent && container.Strategy != RotationStrategy.None
            && (changed.Count == 0 || container.Secrets.Any(secret => secret.Inject.As == InjectMode.Env)))
        {
            return (true, $"container {container.Name}: {environmentProblem}");
        }

        if (changed.Count == 0 || firstSight)
        {
            // Files of the mounted generation hold the applied values, which are the current ones: rewrite them.
            await _delivery.WriteFilesAsync(container, inspect, generation, values, cancellationToken);

            // Each journal write rewrites the whole file, so an unchanged target costs none, and new targets are
            // written together once the pass is over. A crash before that write only repeats this delivery.
            bool versionsMoved = values.Values.Any(value => !applied.TryGetValue(value.Name, out AppliedSecret? previous) || previous.Version != value.Version);
            if (firstSight || versionsMoved)
            {
                _appliedToRecord[container.TargetKey] = values.Values.Select(value => value.ToJournal()).ToList();
            }

            _verified.Add(container.Id);
            return (false, "");
        }

        _verified.Add(container.Id);
        return (true, $"{string.Join(", ", changed)} changed");
    }

    /// <summary>Writes the versions collected in <see cref="_appliedToRecord"/> to the journal in one write.</summary>
    private void RecordApplied()
    {
        if (_appliedToRecord.Count == 0)
        {
            return;
        }

        _journal.SetApplied(_appliedToRecord.ToList());
        _appliedToRecord.Clear();
    }

    /// <summary>The current value of each secret of the container, or null with the first secret that has none yet.</summary>
    private Dictionary<string, CurrentSecret>? CurrentValues(ManagedContainer container, out string? missing)
    {
        missing = null;
        var values = new Dictionary<string, CurrentSecret>(StringComparer.Ordinal);
        foreach (SecretConfig secret in container.Secrets)
        {
            if (_monitor.Get(secret.Name) is not { } current)
            {
                missing = secret.Name;
                return null;
            }

            values[secret.Name] = current;
        }

        return values;
    }

    /// <summary>Removes secret-file generations that no existing container mounts, such as those left by a crash.</summary>
    private async Task SweepSecretFilesAsync(CancellationToken cancellationToken)
    {
        IList<ContainerListResponse> all = await _docker.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken);
        var inUse = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (ContainerListResponse container in all)
        {
            foreach (MountPoint mount in container.Mounts ?? [])
            {
                if (mount.Source is null || _delivery.Files.Locate(mount.Source) is not { } found)
                {
                    continue;
                }

                if (!inUse.TryGetValue(found.Target, out HashSet<string>? generations))
                {
                    inUse[found.Target] = generations = new HashSet<string>(StringComparer.Ordinal);
                }

                generations.Add(found.Generation);
            }
        }

        foreach (string target in _delivery.Files.Targets())
        {
            foreach (string generation in _delivery.Files.RemoveUnused(target, inUse.GetValueOrDefault(target) ?? []))
            {
                LogGenerationRemoved(target, generation);
            }
        }
    }

    private void Housekeeping()
    {
        _locks.CleanStale();
        int pruned = _journal.Prune(_config.Agent.Retention);
        if (pruned > 0)
        {
            LogPruned(pruned);
        }
    }

    private TargetState StateOf(string target)
    {
        lock (_statusGate)
        {
            if (!_targets.TryGetValue(target, out TargetState? state))
            {
                _targets[target] = state = new TargetState();
            }

            return state;
        }
    }

    private static DateTimeOffset Earliest(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b, DateTimeOffset c)
    {
        DateTimeOffset ab = a > b ? a : b;
        return ab > c ? ab : c;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "dso agent started with {Config}: {Secrets} secrets from {Providers} providers; {Recovered} interrupted rotations recovered, {Pruned} old records pruned")]
    private partial void LogStarted(string config, int secrets, int providers, int recovered, int pruned);

    [LoggerMessage(Level = LogLevel.Error, Message = "Target {Target} ({Container}) could not be checked or rotated, and is tried again in 15 s: {ErrorType}: {Reason}")]
    private partial void LogTargetFailed(string target, string container, string errorType, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Target {Target} cannot receive its secrets, and keeps what it has: {Reason}")]
    private partial void LogUndeliverable(string target, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} rotation records older than the retention")]
    private partial void LogPruned(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed secret files of {Target} generation {Generation}, which no container mounts")]
    private partial void LogGenerationRemoved(string target, string generation);

    private sealed record ManualRequest(string Secret, TaskCompletionSource<ManualRotationResult> Completion);

    private sealed class TargetState
    {
        /// <summary>The fingerprints the pending rotation would deliver, or null when nothing is pending.</summary>
        public string? Pending { get; set; }

        public DateTimeOffset LastChange { get; set; } = DateTimeOffset.MinValue;

        public DateTimeOffset LastRotation { get; set; } = DateTimeOffset.MinValue;

        public DateTimeOffset RetryAt { get; set; } = DateTimeOffset.MinValue;

        public int Failures { get; set; }

        // Unchecked until the first comparison, so that a status taken during it does not claim current.
        public string State { get; set; } = "unchecked";

        public string? LastError { get; set; }
    }
}
