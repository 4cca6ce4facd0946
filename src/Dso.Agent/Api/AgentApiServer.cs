using Dso.Agent.Configuration;
using Dso.Agent.Journal;
using Dso.Agent.Runtime;
using Dso.Core;
using Dso.Core.IO;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Dso.Agent.Api;

/// <summary>
/// The agent's local API: HTTP/1.1 and JSON on a unix socket (Kestrel), for dso status and dso rotate. Only root and
/// members of the group (dso by default) may use it. The socket file is 0660 with that group, and each connection's
/// SO_PEERCRED is checked too, so other users get 403 even from a socket whose mode was loosened.
/// </summary>
/// <remarks>
/// Start once with <see cref="StartAsync"/> and stop with <see cref="StopAsync"/>, which deletes the socket file. A generic
/// host can run it as an <see cref="IHostedService"/> instead.
/// </remarks>
internal sealed partial class AgentApiServer : IHostedService, IAsyncDisposable
{
    /// <summary>Limit for request bodies, far above the only body, {"secret":"name"}.</summary>
    private const long MaxRequestBodyBytes = 64 * 1024;

    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly IAgentControl _control;
    private readonly RotationJournal _journal;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly PeerAuthorizer _authorizer;
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private SafeFileHandle? _socketLock;

    /// <param name="socketPath">The socket file, normally <see cref="AgentPaths.SocketPath"/>.</param>
    /// <param name="control">The running agent.</param>
    /// <param name="journal">The agent's rotation journal, read for GET /v1/rotations.</param>
    /// <param name="loggerFactory">Logs of the API and of Kestrel.</param>
    /// <param name="groupName">The group whose members may connect besides root.</param>
    public AgentApiServer(string socketPath, IAgentControl control, RotationJournal journal, ILoggerFactory loggerFactory, string groupName = AgentPaths.DefaultGroup)
    {
        SocketPath = Path.GetFullPath(socketPath);
        _control = control;
        _journal = journal;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<AgentApiServer>();
        _authorizer = new PeerAuthorizer(groupName);
    }

    public string SocketPath { get; }

    /// <summary>Locks and prepares the socket path, binds it and sets its mode and group.</summary>
    /// <exception cref="DsoException">Another agent holds the socket's lock or accepts connections on it, or the path is not a socket.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException($"The agent API on {SocketPath} is already started.");
        }

        uint? groupId = UnixAccounts.FindGroupId(_authorizer.GroupName);
        SocketFile.EnsureDirectory(SocketPath, groupId);
        SafeFileHandle socketLock = SocketFile.TryLock(SocketPath)
            ?? throw new DsoException($"Another dso agent holds the lock {SocketPath}.lock and is running on {SocketPath}. Stop it first ('systemctl stop dso-agent'), or set agent.socket in dso.yaml (or DSO_SOCKET) to another path.");
        try
        {
            if (await SocketFile.RemoveStaleAsync(SocketPath, cancellationToken))
            {
                LogStaleSocketRemoved(_logger, SocketPath);
            }

            WebApplication app = Build();
            await app.StartAsync(cancellationToken);
            _app = app;
        }
        catch
        {
            socketLock.Dispose();
            throw;
        }

        _socketLock = socketLock;

        // Until this chmod the socket has the mode the umask gives it. With the usual umask 022 that is 0755, and
        // connecting needs write permission, so only root can connect in between, and the peer check applies anyway.
        SocketFile.Secure(SocketPath, groupId);
        if (groupId is null)
        {
            LogGroupMissing(_logger, SocketPath, _authorizer.GroupName, Libc.getegid());
        }

        LogStarted(_logger, SocketPath, _authorizer.GroupName);
    }

    /// <summary>Ends open status streams and manual rotation requests, stops Kestrel and deletes the socket file.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not { } app)
        {
            return;
        }

        _app = null;
        await _stopping.CancelAsync();
        try
        {
            await app.StopAsync(cancellationToken);
        }
        finally
        {
            await app.DisposeAsync();
            SocketFile.Remove(SocketPath);
            _socketLock?.Dispose();
            _socketLock = null;
            LogStopped(_logger, SocketPath);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    private WebApplication Build()
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(_loggerFactory);
        // The agent handles SIGTERM and Ctrl-C itself, so the host's default console lifetime must not take them over.
        builder.Services.AddSingleton<IHostLifetime, ExternalLifetime>();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            options.ListenUnixSocket(SocketPath, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection => AuthorizeConnectionAsync(connection, next));
            });
        });

        WebApplication app = builder.Build();
        app.Run(HandleAsync);
        return app;
    }

    /// <summary>Reads the peer's credentials once per connection and stores the decision for every request on it.</summary>
    private Task AuthorizeConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        PeerDecision? decision = null;
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            LogPeerUnknown(_logger, connection.ConnectionId);
        }
        else
        {
            try
            {
                decision = _authorizer.Authorize(PeerCredentials.Read(socket));
            }
            catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException)
            {
                LogPeerCheckFailed(_logger, exception, connection.ConnectionId);
            }
        }

        if (decision is { Allowed: false })
        {
            LogPeerRejected(_logger, decision.Peer.Uid, decision.Peer.Gid, decision.Peer.Pid, _authorizer.GroupName);
        }

        connection.Items[PeerDecision.ItemKey] = decision;
        return next(connection);
    }

    /// <summary>Leaves start and stop signals to the agent that owns this server.</summary>
    private sealed class ExternalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
