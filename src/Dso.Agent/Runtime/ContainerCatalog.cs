using Docker.DotNet;
using Docker.DotNet.Models;
using Dso.Agent.Configuration;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Runtime;

/// <summary>
/// The map of managed containers: those named by a secret's targets in dso.yaml (container names, labels,
/// Compose project and service) and those carrying a dso.secrets label. It is rebuilt from one container list
/// call whenever Docker reports an event of a managed or targeted container, so it costs nothing while those do
/// not change.
/// </summary>
internal sealed partial class ContainerCatalog
{
    /// <summary>Name marker of the containers that exist only during a rotation.</summary>
    public const string TemporaryMarker = ".dso-";

    private static readonly char[] ListSeparators = [',', ' ', ';'];

    private readonly AgentConfig _config;
    private readonly DockerClient _docker;
    private readonly ILogger _logger;
    private readonly HashSet<string> _warnedUnknown = new(StringComparer.Ordinal);
    private int _dirty = 1;

    public ContainerCatalog(AgentConfig config, DockerClient docker, ILogger logger)
    {
        _config = config;
        _docker = docker;
        _logger = logger;
    }

    /// <summary>Raised when Docker reports a container event; the next <see cref="RefreshAsync"/> lists again.</summary>
    public event EventHandler? Changed;

    public IReadOnlyList<ManagedContainer> Containers { get; private set; } = [];

    /// <summary>Lists containers again when an event arrived since the last call; returns whether it did.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken, bool force = false)
    {
        if (!force && Interlocked.Exchange(ref _dirty, 0) == 0)
        {
            return false;
        }

        IList<ContainerListResponse> listed = await _docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true }, cancellationToken);
        var managed = new List<ManagedContainer>();
        foreach (ContainerListResponse container in listed)
        {
            if (Describe(container) is { } description)
            {
                managed.Add(description);
            }
        }

        Containers = managed.OrderBy(container => container.TargetKey, StringComparer.Ordinal).ToList();
        return true;
    }

    /// <summary>Follows Docker's container events until cancelled, reconnecting after a lost connection.</summary>
    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        var parameters = new ContainerEventsParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["type"] = new Dictionary<string, bool> { ["container"] = true },
            },
        };
        var progress = new Progress(this);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _docker.System.MonitorEventsAsync(parameters, progress, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is DockerApiException or HttpRequestException or IOException)
            {
                LogEventsLost(error.Message);
            }

            MarkDirty();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void MarkDirty()
    {
        Interlocked.Exchange(ref _dirty, 1);
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>
    /// Marks the catalog dirty for an event of a container that is managed now or would be managed: a container
    /// in <see cref="Containers"/>, or one whose name and labels (Docker sends them as the event's attributes)
    /// a secret targets. Events of other containers are ignored, because each refresh lists every container of
    /// the engine, which costs the agent and the engine CPU in proportion to their count.
    /// </summary>
    public void OnContainerEvent(Message message)
    {
        if (message.Action is not ("create" or "start" or "die" or "destroy" or "rename" or "stop" or "restart"))
        {
            return;
        }

        string? id = message.Actor?.ID ?? message.ID;
        IDictionary<string, string>? attributes = message.Actor?.Attributes;
        bool known = id is not null && Containers.Any(container => container.Id == id);
        if (known || attributes is null || IsTargeted(attributes))
        {
            MarkDirty();
        }
    }

    /// <summary>The target key of a container from its name and labels.</summary>
    public static string TargetKeyOf(string name, IDictionary<string, string>? labels)
    {
        if (labels is not null
            && labels.TryGetValue(ContainerLabels.ComposeProject, out string? project)
            && labels.TryGetValue(ContainerLabels.ComposeService, out string? service))
        {
            string replica = labels.TryGetValue(ContainerLabels.ComposeNumber, out string? number) && number is not ("1" or "")
                ? "#" + number
                : "";
            return $"compose:{project}/{service}{replica}";
        }

        return $"container:{name}";
    }

    private ManagedContainer? Describe(ContainerListResponse container)
    {
        string name = container.Names?.FirstOrDefault()?.TrimStart('/') ?? container.ID;
        if (name.Contains(TemporaryMarker, StringComparison.Ordinal))
        {
            return null;
        }

        IDictionary<string, string> labels = container.Labels ?? new Dictionary<string, string>();
        var secrets = new SortedDictionary<string, SecretConfig>(StringComparer.Ordinal);
        var unknown = new List<string>();
        if (labels.TryGetValue(ContainerLabels.Secrets, out string? listed))
        {
            foreach (string secretName in listed.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries))
            {
                if (_config.Secrets.TryGetValue(secretName, out SecretConfig? secret))
                {
                    secrets[secretName] = secret;
                }
                else
                {
                    unknown.Add(secretName);
                }
            }
        }

        foreach (SecretConfig secret in _config.Secrets.Values)
        {
            if (Matches(secret.Targets, name, labels))
            {
                secrets[secret.Name] = secret;
            }
        }

        if (secrets.Count == 0)
        {
            return null;
        }

        foreach (string secretName in unknown)
        {
            if (_warnedUnknown.Add($"{name}/{secretName}"))
            {
                LogUnknownSecret(name, secretName, _config.Path);
            }
        }

        return new ManagedContainer
        {
            Id = container.ID,
            Name = name,
            TargetKey = TargetKeyOf(name, labels),
            Running = container.State == "running",
            Secrets = secrets.Values.ToList(),
            Strategy = StrategyOf(name, labels, secrets.Values),
            UnknownSecrets = unknown,
        };
    }

    private RotationStrategy StrategyOf(string name, IDictionary<string, string> labels, IEnumerable<SecretConfig> secrets)
    {
        if (labels.TryGetValue(ContainerLabels.Strategy, out string? label))
        {
            RotationStrategy? strategy = label switch
            {
                "rolling" => RotationStrategy.Rolling,
                "restart" => RotationStrategy.Restart,
                "signal" => RotationStrategy.Signal,
                "none" => RotationStrategy.None,
                _ => null,
            };
            if (strategy is { } known)
            {
                return known;
            }

            if (_warnedUnknown.Add($"{name}/strategy/{label}"))
            {
                LogBadStrategy(name, label);
            }
        }

        // The strategy that replaces the most wins (rolling before restart, signal and none), so that a rolling secret is never delivered by a signal.
        return secrets.Select(secret => secret.Rotation.Strategy).Min();
    }

    /// <summary>
    /// True when a container with these event attributes (its labels, plus "name" and "image") carries a dso.secrets
    /// label or is named by a secret's targets. The extra attribute keys never match a target label by accident
    /// unless a target names a label called "name" or "image", which then only costs one more refresh.
    /// </summary>
    private bool IsTargeted(IDictionary<string, string> attributes)
    {
        if (attributes.ContainsKey(ContainerLabels.Secrets))
        {
            return true;
        }

        string name = attributes.TryGetValue("name", out string? value) ? value : "";
        return _config.Secrets.Values.Any(secret => Matches(secret.Targets, name, attributes));
    }

    private static bool Matches(TargetsConfig targets, string name, IDictionary<string, string> labels)
    {
        if (targets.Containers.Contains(name, StringComparer.Ordinal))
        {
            return true;
        }

        if (targets.Labels.Count > 0
            && targets.Labels.All(pair => labels.TryGetValue(pair.Key, out string? value) && value == pair.Value))
        {
            return true;
        }

        return targets.Compose is { } compose
            && labels.TryGetValue(ContainerLabels.ComposeProject, out string? project) && project == compose.Project
            && (compose.Service is null
                || (labels.TryGetValue(ContainerLabels.ComposeService, out string? service) && service == compose.Service));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {Container}: its dso.secrets label names {Secret}, which {Config} does not declare; that name is ignored")]
    private partial void LogUnknownSecret(string container, string secret, string config);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {Container}: dso.update.strategy is \"{Label}\", which is not rolling, restart, signal or none; the secrets' strategy is used")]
    private partial void LogBadStrategy(string container, string label);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost Docker's event stream ({Reason}); listing containers again and reconnecting")]
    private partial void LogEventsLost(string reason);

    private sealed class Progress(ContainerCatalog owner) : IProgress<Message>
    {
        public void Report(Message value) => owner.OnContainerEvent(value);
    }
}
