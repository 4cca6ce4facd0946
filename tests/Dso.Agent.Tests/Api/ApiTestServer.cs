using System.Collections.Concurrent;
using System.Net.Sockets;
using Dso.Agent.Api;
using Dso.Agent.Journal;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Tests.Api;

/// <summary>
/// The real <see cref="AgentApiServer"/> on a socket in a temporary directory (0755, so that other uids can reach the
/// socket), with a <see cref="TestAgentControl"/>, a real journal and captured log lines. Dso.Cli.Tests compiles this file too.
/// </summary>
internal sealed class ApiTestServer : IAsyncDisposable
{
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;

    public ApiTestServer(string groupName = "nogroup", string? socketPath = null)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("dso-api-test-").FullName;
        File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
        SocketPath = socketPath ?? Path.Combine(Directory, "dso.sock");
        Journal = RotationJournal.Open(Path.Combine(Directory, "state", RotationJournal.FileName), TimeProvider.System);
        _loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug));
        Server = new AgentApiServer(SocketPath, Control, Journal, _loggerFactory, groupName);
    }

    public string Directory { get; }

    public string SocketPath { get; }

    public TestAgentControl Control { get; } = new();

    public RotationJournal Journal { get; }

    public AgentApiServer Server { get; }

    public IReadOnlyCollection<string> LogLines => _logs.Lines;

    public async Task<ApiTestServer> StartAsync()
    {
        await Server.StartAsync(CancellationToken.None);
        return this;
    }

    /// <summary>An HttpClient whose every connection goes to <paramref name="socketPath"/> (this server's socket by default).</summary>
    public HttpClient CreateClient(string? socketPath = null)
    {
        string path = socketPath ?? SocketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://dso-agent"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _loggerFactory.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(_lines);

        public void Dispose()
        {
        }

        private sealed class CapturingLogger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
        }
    }
}
