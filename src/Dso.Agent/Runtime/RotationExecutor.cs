using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Dso.Agent.Configuration;
using Dso.Agent.Journal;
using Dso.Agent.Locks;
using Dso.Core;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Runtime;

/// <summary>
/// Carries out one rotation of one container under its lock, journalling every step, and finishes or rolls back
/// rotations that a crash interrupted. The rule throughout: the old container is removed only once the new one
/// has the name and runs, so a service never loses its last copy that can serve.
/// </summary>
internal sealed partial class RotationExecutor
{
    private const string NewMarker = ".dso-new-";
    private const string OldMarker = ".dso-old-";

    private readonly DockerClient _docker;
    private readonly RotationJournal _journal;
    private readonly LockManager _locks;
    private readonly SecretDelivery _delivery;
    private readonly HealthWaiter _health;
    private readonly ILogger _logger;

    public RotationExecutor(DockerClient docker, RotationJournal journal, LockManager locks, SecretDelivery delivery, HealthWaiter health, ILogger logger)
    {
        _docker = docker;
        _journal = journal;
        _locks = locks;
        _delivery = delivery;
        _health = health;
        _logger = logger;
    }

    /// <summary>Ids of the rotations running now.</summary>
    public IReadOnlyCollection<string> Running => _running.Keys.ToList();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);

    /// <summary>Raised after each journalled step, for dso status --watch.</summary>
    /// <summary>
    /// How long a stopping agent may spend finishing or undoing the rotation it is in: within the 30 s that the .NET
    /// host gives its services to stop, and the 90 s that systemd waits by default.
    /// </summary>
    private static readonly TimeSpan StopCleanupLimit = TimeSpan.FromSeconds(20);

    public event EventHandler? StepRecorded;

    public async Task<RotationResult> RotateAsync(
        ManagedContainer container,
        RotationPlan plan,
        IReadOnlyDictionary<string, CurrentSecret> values,
        string reason,
        CancellationToken cancellationToken)
    {
        using LockHandle? handle = _locks.TryAcquire(container.TargetKey, [container.Id]);
        if (handle is null)
        {
            return RotationResult.Busy(_locks.PathFor(container.TargetKey));
        }

        ContainerInspectResponse? old = await InspectOrNullAsync(container.Id, cancellationToken);
        if (old is null || !old.State.Running)
        {
            return new RotationResult(null, RotationOutcome.Failed, $"container {container.Name} is no longer running");
        }

        IReadOnlyDictionary<string, string> environment;
        try
        {
            environment = SecretDelivery.Environment(container, values);
        }
        catch (DsoException error)
        {
            return new RotationResult(null, RotationOutcome.Failed, error.Message);
        }

        RotationStrategy strategy = ChooseStrategy(container, plan, old, environment);
        IReadOnlyList<SecretVersion> versions = container.Secrets.Select(secret => values[secret.Name].ToJournal()).ToList();
        RotationRecord record = _journal.Begin(container.TargetKey, RotationPlan.NameOf(strategy), versions, old.ID, container.Name);
        _running[record.Id] = 0;
        string strategyName = RotationPlan.NameOf(strategy);
        LogStarted(record.Id, container.TargetKey, container.Name, strategyName, reason);
        Step("planned");
        try
        {
            switch (strategy)
            {
                case RotationStrategy.Rolling:
                case RotationStrategy.Restart:
                    await ReplaceAsync(record, container, plan, old, values, environment, strategy == RotationStrategy.Rolling, cancellationToken);
                    break;
                default:
                    await UpdateInPlaceAsync(record, container, plan, old, values, strategy == RotationStrategy.Signal, cancellationToken);
                    break;
            }

            LogCompleted(record.Id, container.TargetKey);
            return new RotationResult(record.Id, RotationOutcome.Completed, null);
        }
        catch (Exception error) when (error is DsoException or DockerApiException or IOException or UnauthorizedAccessException or HttpRequestException or TimeoutException)
        {
            string message = Describe(error);
            _journal.Advance(record.Id, RotationStep.Failed, current => current with { Error = message });
            RotationRecord failed = _journal.All().First(entry => entry.Id == record.Id);
            if (await KeepNewWhenOldIsGoneAsync(failed, CancellationToken.None))
            {
                _journal.SetApplied(record.Target, record.Secrets);
                _journal.Advance(record.Id, RotationStep.Recovered);
                StepRecorded?.Invoke(this, EventArgs.Empty);
                return new RotationResult(record.Id, RotationOutcome.Completed, null);
            }

            LogFailed(record.Id, container.TargetKey, message);
            await RollBackAsync(failed, CancellationToken.None);
            _journal.Advance(record.Id, RotationStep.RolledBack);
            StepRecorded?.Invoke(this, EventArgs.Empty);
            return new RotationResult(record.Id, RotationOutcome.Failed, message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The agent stops: finish or undo the rotation now, as a start after a crash would, so that neither a
            // copy nor a renamed container is left behind. What this cannot finish in time the next start recovers.
            using var cleanup = new CancellationTokenSource(StopCleanupLimit);
            try
            {
                await RecoverOneAsync(_journal.All().First(entry => entry.Id == record.Id), cleanup.Token);
                StepRecorded?.Invoke(this, EventArgs.Empty);
            }
            catch (Exception cleanupError) when (cleanupError is not OutOfMemoryException)
            {
                LogStopCleanupFailed(record.Id, record.Target, cleanupError.Message);
            }

            throw;
        }
        finally
        {
            _running.TryRemove(record.Id, out _);
        }
    }

    /// <summary>
    /// Finishes or rolls back every rotation the journal shows in flight, from the step it reached: forward when
    /// the new container was healthy and still runs, else back to the old container.
    /// </summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<RotationRecord> inFlight = _journal.InFlight();
        foreach (RotationRecord record in inFlight)
        {
            using LockHandle? handle = _locks.TryAcquire(record.Target, [record.OldContainerId ?? "", record.NewContainerId ?? ""]);
            await RecoverOneAsync(record, cancellationToken);
        }

        return inFlight.Count;
    }

    /// <summary>Finishes one interrupted rotation forward or back, as <see cref="RecoverAsync"/> describes.</summary>
    private async Task RecoverOneAsync(RotationRecord record, CancellationToken cancellationToken)
    {
        if (record.Step is RotationStep.Healthy or RotationStep.Swapped or RotationStep.OldRemoved
            && await RollForwardAsync(record, cancellationToken))
        {
            _journal.SetApplied(record.Target, record.Secrets);
            _journal.Advance(record.Id, RotationStep.Recovered);
            LogRecovered(record.Id, record.Target, record.Step.ToString(), "finished the rotation");
            return;
        }

        if (await KeepNewWhenOldIsGoneAsync(record, cancellationToken))
        {
            _journal.SetApplied(record.Target, record.Secrets);
            _journal.Advance(record.Id, RotationStep.Recovered);
            return;
        }

        await RollBackAsync(record, cancellationToken);
        _journal.Advance(record.Id, RotationStep.RolledBack, current => current with { Error = current.Error ?? $"the agent stopped at step {record.Step}" });
        LogRecovered(record.Id, record.Target, record.Step.ToString(), "went back to the old container");
    }

    private RotationStrategy ChooseStrategy(ManagedContainer container, RotationPlan plan, ContainerInspectResponse old, IReadOnlyDictionary<string, string> environment)
    {
        RotationStrategy strategy = plan.Strategy;
        if (strategy is RotationStrategy.Signal or RotationStrategy.None)
        {
            string? problem = null;
            if (_delivery.MountedGeneration(container, old, out string? mountProblem) is null)
            {
                problem = mountProblem;
            }
            else if (!SecretDelivery.HasEnvironment(old, environment, out string? environmentProblem) && strategy == RotationStrategy.Signal)
            {
                problem = environmentProblem;
            }

            if (problem is not null && (strategy == RotationStrategy.Signal || mountProblem is not null))
            {
                LogEscalated(container.Name, RotationPlan.NameOf(strategy), "restart", problem);
                return RotationStrategy.Restart;
            }
        }

        if (strategy == RotationStrategy.Rolling && ContainerCopy.WhyNotBeside(old) is { } reason)
        {
            // NOTE: the TCP proxy that would let a copy take over host ports is not built yet.
            LogEscalated(container.Name, "rolling", "restart", $"a copy cannot run beside it: {reason}");
            return RotationStrategy.Restart;
        }

        return strategy;
    }

    private async Task UpdateInPlaceAsync(RotationRecord record, ManagedContainer container, RotationPlan plan, ContainerInspectResponse old,
        IReadOnlyDictionary<string, CurrentSecret> values, bool signal, CancellationToken cancellationToken)
    {
        string generation = _delivery.MountedGeneration(container, old, out _) ?? AgentSecretFiles.InitialGeneration;
        await _delivery.WriteFilesAsync(container, old, generation, values, cancellationToken);
        Step("files-written");
        if (signal)
        {
            await _docker.Containers.KillContainerAsync(old.ID, new ContainerKillParameters { Signal = plan.Signal }, cancellationToken);
        }

        _journal.Advance(record.Id, RotationStep.Completed, current => current with { NewContainerId = old.ID, NewContainerName = container.Name });
        StepRecorded?.Invoke(this, EventArgs.Empty);
    }

    private async Task ReplaceAsync(RotationRecord record, ManagedContainer container, RotationPlan plan, ContainerInspectResponse old,
        IReadOnlyDictionary<string, CurrentSecret> values, IReadOnlyDictionary<string, string> environment, bool beside, CancellationToken cancellationToken)
    {
        string generation = GenerationOf(record.Id);
        string? oldGeneration = _delivery.MountedGeneration(container, old, out _);
        await _delivery.WriteFilesAsync(container, old, generation, values, cancellationToken);
        string name = container.Name;
        string oldName = name + OldMarker + ShortId(record.Id);
        if (!beside)
        {
            await StopAsync(old, cancellationToken);
            await RenameAsync(old.ID, oldName, cancellationToken);
            Step("old-renamed");
        }

        string newName = beside ? name + NewMarker + ShortId(record.Id) : name;
        (CreateContainerParameters create, IReadOnlyList<(string Network, EndpointSettings Endpoint)> later) =
            ContainerCopy.Build(old, newName, record.Id, environment, _delivery.Mounts(container, generation), beside);
        CreateContainerResponse created = await _docker.Containers.CreateContainerAsync(create, cancellationToken);
        Advance(record.Id, RotationStep.NewContainerCreated, current => current with { NewContainerId = created.ID, NewContainerName = newName });
        Step("new-container-created");
        foreach ((string network, EndpointSettings endpoint) in later)
        {
            await _docker.Networks.ConnectNetworkAsync(network, new NetworkConnectParameters { Container = created.ID, EndpointConfig = endpoint }, cancellationToken);
        }

        await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        Advance(record.Id, RotationStep.Started);
        Step("started");
        if (await _health.WaitAsync(created.ID, newName, plan, cancellationToken) is { } unhealthy)
        {
            throw new DsoException(unhealthy);
        }

        Advance(record.Id, RotationStep.Healthy);
        Step("healthy");
        if (beside)
        {
            await RenameAsync(old.ID, oldName, cancellationToken);
            Step("old-renamed");
            await RenameAsync(created.ID, name, cancellationToken);
        }

        Advance(record.Id, RotationStep.Swapped, current => current with { NewContainerName = name });
        Step("swapped");
        await StopAsync(old, cancellationToken);
        await _docker.Containers.RemoveContainerAsync(old.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
        Advance(record.Id, RotationStep.OldRemoved);
        Step("old-removed");
        if (oldGeneration is not null && oldGeneration != generation)
        {
            _delivery.Files.RemoveGeneration(container.TargetKey, oldGeneration);
        }

        Advance(record.Id, RotationStep.Completed);
    }

    private async Task<bool> RollForwardAsync(RotationRecord record, CancellationToken cancellationToken)
    {
        ContainerInspectResponse? created = await FindCreatedByAsync(record.Id, cancellationToken);
        if (created is null || record.OldContainerName is null)
        {
            return false;
        }

        if (!created.State.Running)
        {
            try
            {
                await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            }
            catch (DockerApiException)
            {
                return false;
            }
        }

        ContainerInspectResponse? old = record.OldContainerId is null ? null : await InspectOrNullAsync(record.OldContainerId, cancellationToken);
        if (old is not null && old.Name.TrimStart('/') == record.OldContainerName)
        {
            await RenameAsync(old.ID, record.OldContainerName + OldMarker + ShortId(record.Id), cancellationToken);
        }

        if (created.Name.TrimStart('/') != record.OldContainerName)
        {
            await RenameAsync(created.ID, record.OldContainerName, cancellationToken);
        }

        if (old is not null)
        {
            await StopAsync(old, cancellationToken);
            await _docker.Containers.RemoveContainerAsync(old.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// Keeps the new container when the old one is gone (removed by hand during the rotation), since it is then the
    /// only copy that can serve: it gets the service's name. Returns false when there is an old container to go back to.
    /// </summary>
    private async Task<bool> KeepNewWhenOldIsGoneAsync(RotationRecord record, CancellationToken cancellationToken)
    {
        if (record.OldContainerName is null
            || (record.OldContainerId is not null && await InspectOrNullAsync(record.OldContainerId, cancellationToken) is not null))
        {
            return false;
        }

        ContainerInspectResponse? created = await FindCreatedByAsync(record.Id, cancellationToken);
        if (created is null || !created.State.Running)
        {
            return false;
        }

        if (created.Name.TrimStart('/') != record.OldContainerName)
        {
            await RenameAsync(created.ID, record.OldContainerName, cancellationToken);
        }

        LogKeptNew(record.Id, record.Target, record.OldContainerName);
        return true;
    }

    private async Task RollBackAsync(RotationRecord record, CancellationToken cancellationToken)
    {
        IList<ContainerListResponse> created = await _docker.Containers.ListContainersAsync(CreatedByFilter(record.Id), cancellationToken);
        foreach (ContainerListResponse container in created.Where(container => container.ID != record.OldContainerId))
        {
            await _docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }

        ContainerInspectResponse? old = record.OldContainerId is null ? null : await InspectOrNullAsync(record.OldContainerId, cancellationToken);
        if (old is null)
        {
            LogNoContainerLeft(record.Id, record.Target, record.OldContainerId ?? "(none)");
        }
        else
        {
            if (record.OldContainerName is not null && old.Name.TrimStart('/') != record.OldContainerName)
            {
                await RenameAsync(old.ID, record.OldContainerName, cancellationToken);
            }

            if (!old.State.Running)
            {
                await _docker.Containers.StartContainerAsync(old.ID, new ContainerStartParameters(), cancellationToken);
            }
        }

        _delivery.Files.RemoveGeneration(record.Target, GenerationOf(record.Id));
    }

    private async Task<ContainerInspectResponse?> FindCreatedByAsync(string rotationId, CancellationToken cancellationToken)
    {
        IList<ContainerListResponse> listed = await _docker.Containers.ListContainersAsync(CreatedByFilter(rotationId), cancellationToken);
        return listed.Count == 0 ? null : await InspectOrNullAsync(listed[0].ID, cancellationToken);
    }

    private static ContainersListParameters CreatedByFilter(string rotationId) => new()
    {
        All = true,
        Filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [$"{ContainerLabels.RotationId}={rotationId}"] = true },
        },
    };

    private async Task<ContainerInspectResponse?> InspectOrNullAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await _docker.Containers.InspectContainerAsync(id, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    private async Task StopAsync(ContainerInspectResponse container, CancellationToken cancellationToken)
    {
        uint wait = (uint)Math.Clamp(container.Config.StopTimeout?.TotalSeconds ?? 10, 0, 300);
        try
        {
            await _docker.Containers.StopContainerAsync(container.ID, new ContainerStopParameters { WaitBeforeKillSeconds = wait }, cancellationToken);
        }
        catch (DockerApiException error) when (error.StatusCode == HttpStatusCode.NotModified)
        {
        }
    }

    private Task RenameAsync(string id, string name, CancellationToken cancellationToken) =>
        _docker.Containers.RenameContainerAsync(id, new ContainerRenameParameters { NewName = name }, cancellationToken);

    private void Advance(string id, RotationStep step, Func<RotationRecord, RotationRecord>? change = null)
    {
        _journal.Advance(id, step, change);
        StepRecorded?.Invoke(this, EventArgs.Empty);
    }

    private static void Step(string point) => FaultPoints.Hit(point);

    /// <summary>The secret-file generation of the container a rotation creates.</summary>
    public static string GenerationOf(string rotationId) => "r-" + ShortId(rotationId);

    /// <summary>The random part of a rotation id (the text after its last dash), unique enough for a container name.</summary>
    private static string ShortId(string rotationId) => rotationId[(rotationId.LastIndexOf('-') + 1)..];

    private static string Describe(Exception error) => error switch
    {
        DockerApiException api => $"Docker returned HTTP {(int)api.StatusCode}: {api.ResponseBody?.Trim()}",
        _ => error.Message,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Rotation {Rotation}: {Target} ({Container}) with strategy {Strategy}, because {Reason}")]
    private partial void LogStarted(string rotation, string target, string container, string strategy, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rotation {Rotation}: {Target} completed")]
    private partial void LogCompleted(string rotation, string target);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rotation {Rotation}: {Target} failed and was rolled back; the old container keeps serving and the rotation is retried later: {Reason}")]
    private partial void LogFailed(string rotation, string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rotation {Rotation}: {Target} was interrupted at step {Step}; recovery {Outcome}")]
    private partial void LogRecovered(string rotation, string target, string step, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rotation {Rotation}: the old container of {Target} was removed during the rotation, so the new one, which runs, keeps the name {Container} and serves")]
    private partial void LogKeptNew(string rotation, string target, string container);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rotation {Rotation}: {Target} has no container left to roll back to (old container {Container} is gone); start the service again, for example with docker compose up -d")]
    private partial void LogNoContainerLeft(string rotation, string target, string container);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {Container}: strategy {Strategy} cannot deliver its secrets, so it is replaced with strategy {Instead}: {Reason}")]
    private partial void LogEscalated(string container, string strategy, string instead, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rotation {RotationId} of {Target}: the agent stops, and undoing or finishing the rotation failed ({Reason}); the next start recovers it")]
    private partial void LogStopCleanupFailed(string rotationId, string target, string reason);
}
