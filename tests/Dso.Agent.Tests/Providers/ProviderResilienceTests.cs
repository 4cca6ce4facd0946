using System.Collections.Concurrent;
using Dso.Agent.Providers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dso.Agent.Tests.Providers;

/// <summary>
/// ProviderResilience with a fake clock: each test drives time forward only when the policy has scheduled
/// what it waits for, so that no test sleeps.
/// </summary>
public sealed class ProviderResilienceTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Execute_SlowCall_TimesOutAfterAttemptTimeout()
    {
        ProviderResilience resilience = Create(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<int> call = resilience.ExecuteAsync<int>("GET /v1/secret/data/db", async token =>
        {
            started.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, token);
            return 1;
        }, CancellationToken.None);
        await started.Task.WaitAsync(TestTimeout);
        _time.Advance(TimeSpan.FromSeconds(4));

        Assert.False(call.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<ProviderException>(() => call.WaitAsync(TestTimeout));
        Assert.Equal("Provider vault_main: GET /v1/secret/data/db timed out after 5 s. Check that the provider is reachable from this host and not overloaded.", error.Message);
        Assert.True(error.IsTransient);
        Assert.Equal("vault_main", error.Provider);
    }

    [Fact]
    public async Task Execute_AllAttemptsTimeOut_RetriesThenThrows()
    {
        ProviderResilience resilience = Create(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(5), MaxRetries = 2, RetryBaseDelay = TimeSpan.Zero });
        var attempts = new SemaphoreSlim(0);
        int calls = 0;

        Task<int> call = resilience.ExecuteAsync<int>("GET /v1/secret/data/db", async token =>
        {
            Interlocked.Increment(ref calls);
            attempts.Release();
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, token);
            return 1;
        }, CancellationToken.None);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            Assert.True(await attempts.WaitAsync(TestTimeout), $"attempt {attempt + 1} did not start");
            _time.Advance(TimeSpan.FromSeconds(5));
        }

        var error = await Assert.ThrowsAsync<ProviderException>(() => call.WaitAsync(TestTimeout));
        Assert.Equal(3, calls);
        Assert.Equal("Provider vault_main: GET /v1/secret/data/db timed out after 5 s on the last of 3 attempts. Check that the provider is reachable from this host and not overloaded.", error.Message);
    }

    [Fact]
    public async Task Execute_ErrorThenTimeout_CountsAttemptsMade()
    {
        ProviderResilience resilience = Create(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(5), MaxRetries = 3, RetryBaseDelay = TimeSpan.Zero });
        var timingOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;

        Task<int> call = resilience.ExecuteAsync<int>("GET /", async token =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new ProviderException("vault_main", ProviderErrorKind.Unavailable, "Provider vault_main: GET / returned HTTP 503.");
            }

            if (calls == 2)
            {
                timingOut.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, token);
            }

            throw new ProviderException("vault_main", ProviderErrorKind.NotFound, "Provider vault_main: GET / returned HTTP 404.");
        }, CancellationToken.None);
        await timingOut.Task.WaitAsync(TestTimeout);
        _time.Advance(TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<ProviderException>(() => call.WaitAsync(TestTimeout));
        Assert.Equal(3, calls);
        Assert.Equal(ProviderErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task Execute_LastAttemptTimesOut_CountsAttempts()
    {
        ProviderResilience resilience = Create(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(5), MaxRetries = 1, RetryBaseDelay = TimeSpan.Zero });
        var timingOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;

        Task<int> call = resilience.ExecuteAsync<int>("GET /", async token =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new ProviderException("vault_main", ProviderErrorKind.Unavailable, "Provider vault_main: GET / returned HTTP 503.");
            }

            timingOut.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, token);
            return 1;
        }, CancellationToken.None);
        await timingOut.Task.WaitAsync(TestTimeout);
        _time.Advance(TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<ProviderException>(() => call.WaitAsync(TestTimeout));
        Assert.Equal(2, calls);
        Assert.Equal("Provider vault_main: GET / timed out after 5 s on the last of 2 attempts. Check that the provider is reachable from this host and not overloaded.", error.Message);
    }

    [Fact]
    public async Task Execute_TransientErrors_RetriedAfterDelay()
    {
        var logger = new RecordingLogger();
        ProviderResilience resilience = Create(new ProviderResilienceOptions { MaxRetries = 3, RetryBaseDelay = TimeSpan.FromSeconds(1) }, logger);
        int calls = 0;

        Task<string> call = resilience.ExecuteAsync("GET /v1/secret/data/db", token =>
        {
            int number = Interlocked.Increment(ref calls);
            return number <= 2
                ? throw new ProviderException("vault_main", ProviderErrorKind.Throttled, "Provider vault_main: GET /v1/secret/data/db returned HTTP 429.")
                : ValueTask.FromResult("ok");
        }, CancellationToken.None);
        for (int retry = 1; retry <= 2; retry++)
        {
            TimeSpan delay = await logger.NextRetryDelayAsync();
            Assert.True(delay > TimeSpan.Zero, $"retry {retry} was not delayed");
            _time.Advance(delay - TimeSpan.FromMilliseconds(1));
            Assert.Equal(retry, Volatile.Read(ref calls));
            _time.Advance(TimeSpan.FromMilliseconds(2));
        }

        Assert.Equal("ok", await call.WaitAsync(TestTimeout));
        Assert.Equal(3, calls);
        Assert.All(logger.Messages, message => Assert.Contains("returned HTTP 429", message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Execute_TransientErrorsBeyondMaxRetries_Throws()
    {
        ProviderResilience resilience = Create(new ProviderResilienceOptions { MaxRetries = 2, RetryBaseDelay = TimeSpan.Zero });
        int calls = 0;

        var error = await Assert.ThrowsAsync<ProviderException>(() => resilience.ExecuteAsync<int>("GET /", _ =>
        {
            Interlocked.Increment(ref calls);
            throw new ProviderException("vault_main", ProviderErrorKind.Unavailable, "Provider vault_main: GET / returned HTTP 503.");
        }, CancellationToken.None));

        Assert.Equal(3, calls);
        Assert.Equal("Provider vault_main: GET / returned HTTP 503.", error.Message);
    }

    [Theory]
    [InlineData(nameof(ProviderErrorKind.NotFound))]
    [InlineData(nameof(ProviderErrorKind.Deleted))]
    [InlineData(nameof(ProviderErrorKind.Unauthenticated))]
    [InlineData(nameof(ProviderErrorKind.AccessDenied))]
    [InlineData(nameof(ProviderErrorKind.Invalid))]
    public async Task Execute_NonTransientError_NotRetried(string kindName)
    {
        ProviderErrorKind kind = Enum.Parse<ProviderErrorKind>(kindName);
        ProviderResilience resilience = Create(new ProviderResilienceOptions { MaxRetries = 3, RetryBaseDelay = TimeSpan.Zero });
        int calls = 0;
        var thrown = new ProviderException("vault_main", kind, "Provider vault_main: GET / failed.");

        var error = await Assert.ThrowsAsync<ProviderException>(() => resilience.ExecuteAsync<int>("GET /", _ =>
        {
            Interlocked.Increment(ref calls);
            throw thrown;
        }, CancellationToken.None));

        Assert.Same(thrown, error);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Execute_200Callers_NeverExceedMaxConcurrency()
    {
        const int Callers = 200;
        var options = new ProviderResilienceOptions { MaxConcurrency = 8 };
        ProviderResilience resilience = Create(options);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int inFlight = 0;
        int maxInFlight = 0;
        int calls = 0;

        async ValueTask<int> Call(CancellationToken token)
        {
            Interlocked.Increment(ref calls);
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            if (now == options.MaxConcurrency)
            {
                full.TrySetResult();
            }

            await gate.Task.WaitAsync(token);
            await Task.Yield();
            Interlocked.Decrement(ref inFlight);
            return now;
        }

        Task<int>[] tasks = Enumerable.Range(0, Callers).Select(_ => Task.Run(() => resilience.ExecuteAsync("GET /", Call, CancellationToken.None))).ToArray();
        await full.Task.WaitAsync(TestTimeout);
        for (int i = 0; i < 100; i++)
        {
            await Task.Yield();
        }

        Assert.Equal(options.MaxConcurrency, Volatile.Read(ref calls));
        gate.SetResult();
        await Task.WhenAll(tasks).WaitAsync(TestTimeout);

        Assert.Equal(Callers, calls);
        Assert.Equal(options.MaxConcurrency, maxInFlight);
        Assert.All(tasks, task => Assert.InRange(task.Result, 1, options.MaxConcurrency));
    }

    [Fact]
    public async Task Execute_QueueFull_RejectsAsThrottled()
    {
        ProviderResilience resilience = Create(new ProviderResilienceOptions { MaxConcurrency = 1, MaxQueued = 1, MaxRetries = 0 });
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<int> running = resilience.ExecuteAsync("GET /", _ =>
        {
            started.SetResult();
            return new ValueTask<int>(gate.Task);
        }, CancellationToken.None);
        await started.Task.WaitAsync(TestTimeout);
        Task<int> queued = resilience.ExecuteAsync("GET /", _ => ValueTask.FromResult(2), CancellationToken.None);
        var error = await Assert.ThrowsAsync<ProviderException>(() => resilience.ExecuteAsync("GET /a", _ => ValueTask.FromResult(3), CancellationToken.None));
        gate.SetResult(1);

        Assert.Equal("Provider vault_main: GET /a was not attempted: more than 1 calls were waiting.", error.Message);
        Assert.Equal(1, await running.WaitAsync(TestTimeout));
        Assert.Equal(2, await queued.WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task Execute_RepeatedFailures_OpenCircuitAndFailFast()
    {
        var options = new ProviderResilienceOptions { MaxRetries = 0, CircuitMinimumThroughput = 5, CircuitFailureRatio = 0.5, CircuitBreakDuration = TimeSpan.FromSeconds(30) };
        ProviderResilience resilience = Create(options);
        int calls = 0;
        ValueTask<int> Failing(CancellationToken token)
        {
            Interlocked.Increment(ref calls);
            throw new ProviderException("vault_main", ProviderErrorKind.Unavailable, "Provider vault_main: GET / returned HTTP 503.");
        }

        for (int i = 0; i < options.CircuitMinimumThroughput; i++)
        {
            await Assert.ThrowsAsync<ProviderException>(() => resilience.ExecuteAsync("GET /", Failing, CancellationToken.None));
        }

        Assert.True(resilience.IsCircuitOpen);
        var error = await Assert.ThrowsAsync<ProviderException>(() => resilience.ExecuteAsync("GET /v1/secret/data/db", Failing, CancellationToken.None));
        Assert.Equal(options.CircuitMinimumThroughput, calls);
        Assert.Equal(
            "Provider vault_main: GET /v1/secret/data/db was not attempted: too many calls failed, so calls are paused for 30 s more. " +
            "The last failure: Provider vault_main: GET / returned HTTP 503.",
            error.Message);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Execute_BreakDurationOver_TrialCallClosesCircuit()
    {
        var options = new ProviderResilienceOptions { MaxRetries = 0, CircuitMinimumThroughput = 2, CircuitBreakDuration = TimeSpan.FromSeconds(30) };
        ProviderResilience resilience = Create(options);
        await OpenCircuitAsync(resilience, options);
        _time.Advance(TimeSpan.FromSeconds(29));

        await Assert.ThrowsAsync<ProviderException>(() => resilience.ExecuteAsync("GET /", _ => ValueTask.FromResult(1), CancellationToken.None));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(7, await resilience.ExecuteAsync("GET /", _ => ValueTask.FromResult(7), CancellationToken.None));
        Assert.False(resilience.IsCircuitOpen);
    }

    [Fact]
    public async Task Execute_OneCircuitOpen_OtherProviderUnaffected()
    {
        var options = new ProviderResilienceOptions { MaxRetries = 0, CircuitMinimumThroughput = 2 };
        ProviderResilience failing = Create(options);
        var other = new ProviderResilience("aws_main", options, _time, NullLogger.Instance);
        await OpenCircuitAsync(failing, options);

        int result = await other.ExecuteAsync("GET /", _ => ValueTask.FromResult(5), CancellationToken.None);

        Assert.True(failing.IsCircuitOpen);
        Assert.False(other.IsCircuitOpen);
        Assert.Equal(5, result);
    }

    [Fact]
    public async Task Execute_NonTransientFailures_KeepCircuitClosed()
    {
        var options = new ProviderResilienceOptions { MaxRetries = 0, CircuitMinimumThroughput = 2 };
        ProviderResilience resilience = Create(options);

        for (int i = 0; i < 10; i++)
        {
            await Assert.ThrowsAsync<ProviderException>(() => resilience.ExecuteAsync<int>("GET /", _ =>
                throw new ProviderException("vault_main", ProviderErrorKind.NotFound, "Provider vault_main: GET / returned HTTP 404."), CancellationToken.None));
        }

        Assert.False(resilience.IsCircuitOpen);
    }

    [Fact]
    public async Task Execute_CallerCancels_ThrowsOperationCanceled()
    {
        ProviderResilience resilience = Create(new ProviderResilienceOptions());
        using var cancellation = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<int> call = resilience.ExecuteAsync<int>("GET /", async token =>
        {
            started.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, token);
            return 1;
        }, cancellation.Token);
        await started.Task.WaitAsync(TestTimeout);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TestTimeout));
    }

    private static async Task OpenCircuitAsync(ProviderResilience resilience, ProviderResilienceOptions options)
    {
        for (int i = 0; i < options.CircuitMinimumThroughput; i++)
        {
            await Assert.ThrowsAsync<ProviderException>(() => resilience.ExecuteAsync<int>("GET /", _ =>
                throw new ProviderException(resilience.Provider, ProviderErrorKind.Unavailable, $"Provider {resilience.Provider}: GET / returned HTTP 503."), CancellationToken.None));
        }

        Assert.True(resilience.IsCircuitOpen);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private ProviderResilience Create(ProviderResilienceOptions options, ILogger? logger = null) =>
        new("vault_main", options, _time, logger ?? NullLogger.Instance);

    /// <summary>Records log messages and hands each retry's delay to the test as it is logged, before the policy waits.</summary>
    private sealed class RecordingLogger : ILogger
    {
        private readonly ConcurrentQueue<string> _messages = new();
        private readonly System.Threading.Channels.Channel<TimeSpan> _retryDelays = System.Threading.Channels.Channel.CreateUnbounded<TimeSpan>();

        public IReadOnlyCollection<string> Messages => _messages;

        public async Task<TimeSpan> NextRetryDelayAsync() =>
            await _retryDelays.Reader.ReadAsync().AsTask().WaitAsync(TestTimeout);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            _messages.Enqueue(formatter(state, exception));
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values
                && values.FirstOrDefault(pair => pair.Key == "DelayMs").Value is double delayMs)
            {
                _retryDelays.Writer.TryWrite(TimeSpan.FromMilliseconds(delayMs));
            }
        }
    }
}
