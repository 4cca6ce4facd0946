using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Tests.Providers.Azure;

/// <summary>Keeps every formatted log line, with its exception, so that tests can search them.</summary>
internal sealed class CapturingLoggerFactory(ConcurrentQueue<string> lines) : ILoggerFactory
{
    public ConcurrentQueue<string> Lines { get; } = lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
    }
}
