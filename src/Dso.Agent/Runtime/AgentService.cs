using Docker.DotNet;
using Dso.Agent.Api;
using Dso.Agent.Journal;
using Dso.Agent.Locks;
using Dso.Agent.Providers;
using Dso.Agent.Storage;
using Dso.Core;
using Dso.Docker.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Runtime;

/// <summary>
/// The agent as a hosted service. Start returns once stale locks are cleaned, interrupted rotations are recovered
/// and the first poll is done, so that systemd's READY (Type=notify) means the agent is serving. A failure of the
/// loop stops the host with exit code 1, and systemd restarts it.
/// </summary>
internal sealed partial class AgentService : IHostedService, IAsyncDisposable
{
    private readonly AgentStartup _startup;
    private readonly ILoggerFactory _loggers;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<ISecretProvider> _providers = [];
    private DockerClient? _docker;
    private AgentApiServer? _api;
    private AgentInstanceLock? _instance;
    private RotationJournal? _journal;
    private Task? _run;

    /// <summary>The error that ended the loop, or null while it runs or after a normal stop.</summary>
    private Exception? _failure;

    public AgentService(AgentStartup startup, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        _startup = startup;
        _loggers = loggers;
        _lifetime = lifetime;
        _logger = loggers.CreateLogger("dso.agent");
    }

    /// <summary>The running coordinator, for the local API; null before start.</summary>
    public AgentCoordinator? Coordinator { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (string directory in new[] { _startup.Paths.StateDirectory, _startup.Paths.LockDirectory })
        {
            if (StorageChecks.WarnIfNetworkFileSystem(directory) is { } warning)
            {
                LogStorageWarning(warning);
            }
        }

        Directory.CreateDirectory(_startup.Paths.StateDirectory, Core.IO.FileModes.PrivateDirectory);
        _instance = AgentInstanceLock.Acquire(_startup.Paths.StateDirectory);
        Coordinator = Build();
        _api = new AgentApiServer(_startup.Paths.SocketPath, Coordinator, _journal!, _loggers, _startup.Paths.Group);
        await _api.StartAsync(cancellationToken);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Coordinator.Ready += (_, _) => ready.TrySetResult();
        _run = Task.Run(() => RunAsync(Coordinator), CancellationToken.None);

        // A loop that fails before it is ready stops the host, which cancels this start: report why it failed.
        await Task.WhenAny(ready.Task, _run, Task.Delay(Timeout.Infinite, cancellationToken));
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new DsoException($"The agent stopped: {Describe(failure)}", failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_api is not null)
        {
            await _api.StopAsync(cancellationToken);
        }

        if (_run is not null)
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        Coordinator?.Dispose();
        foreach (ISecretProvider provider in _providers)
        {
            await provider.DisposeAsync();
        }

        _docker?.Dispose();
        _instance?.Dispose();
    }

    private AgentCoordinator Build()
    {
        var config = _startup.Config;
        TimeProvider time = TimeProvider.System;
        Fingerprints fingerprints = Fingerprints.Open(_startup.Paths.StateDirectory);
        var context = new ProviderContext(time, _loggers, _startup.Environment) { FingerprintKey = fingerprints.Key };
        var providers = new Dictionary<string, ISecretProvider>(StringComparer.Ordinal);
        foreach (var provider in config.Providers.Values)
        {
            ISecretProvider created = ProviderFactory.Create(provider, context);
            _providers.Add(created);
            providers[provider.Name] = created;
        }

        Directory.CreateDirectory(_startup.Paths.LockDirectory, Core.IO.FileModes.PrivateDirectory);
        _docker = DockerEngine.CreateClient(_startup.Environment);
        DockerClient docker = _docker;
        RotationJournal journal = RotationJournal.Open(Path.Combine(_startup.Paths.StateDirectory, RotationJournal.FileName), time);
        _journal = journal;
        var locks = new LockManager(_startup.Paths.LockDirectory, config.Agent.StaleAfter, time, _loggers.CreateLogger("dso.locks"));
        var files = new AgentSecretFiles(_startup.SecretFileRoot, _startup.AllowDiskBackedSecretFiles);
        ILogger dockerLogger = _loggers.CreateLogger("dso.docker");
        var users = new ContainerUserResolver(() => docker, message => LogDockerWarning(dockerLogger, message));
        var delivery = new SecretDelivery(files, users);
        var monitor = new SecretMonitor(config, providers, fingerprints, time, _loggers.CreateLogger("dso.secrets"));
        var catalog = new ContainerCatalog(config, docker, _loggers.CreateLogger("dso.containers"));
        var executor = new RotationExecutor(docker, journal, locks, delivery, new HealthWaiter(docker, time), _loggers.CreateLogger("dso.rotation"));
        return new AgentCoordinator(config, providers, monitor, catalog, executor, delivery, journal, locks, docker, time, _loggers.CreateLogger("dso.agent"));
    }

    private async Task RunAsync(AgentCoordinator coordinator)
    {
        try
        {
            await coordinator.RunAsync(_stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Recorded before the host is stopped, so that a start that still waits can report it.
            Volatile.Write(ref _failure, error);
            string reason = Describe(error);
            LogCrashed(reason);
            Environment.ExitCode = 1;
            _lifetime.StopApplication();
        }
    }

    /// <summary>
    /// The reason of a loop failure for the log and the exit message. Provider calls handle their own errors, so a
    /// failed HTTP connection here is one to the Docker engine.
    /// </summary>
    private string Describe(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException or System.Net.Sockets.SocketException)
            {
                return $"the Docker engine at {DockerEngine.HostOf(_startup.Environment)} did not answer ({current.Message}). " +
                    "Check that dockerd runs ('systemctl status docker') and that DOCKER_HOST in the agent's environment, if set, names its socket.";
            }
        }

        return error.Message;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogStorageWarning(string warning);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The agent stopped: {Reason}")]
    private partial void LogCrashed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private static partial void LogDockerWarning(ILogger logger, string message);
}
