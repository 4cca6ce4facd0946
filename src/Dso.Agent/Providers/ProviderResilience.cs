using System.Globalization;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;

namespace Dso.Agent.Providers;

/// <summary>
/// The retry, timeout, concurrency and circuit-breaker policy of one provider. Every HTTP call a provider makes
/// goes through <see cref="ExecuteAsync{T}"/>, so that each provider has its own circuit and its own connection
/// budget, and a failing provider backs off without slowing the others.
/// </summary>
/// <remarks>
/// Outermost first: the circuit breaker records one outcome per retried call. Retries wait outside the
/// concurrency limit, so a backing-off call takes no slot, and the timeout bounds each attempt.
/// Only <see cref="ProviderException.IsTransient"/> errors and timeouts are retried.
/// </remarks>
internal sealed partial class ProviderResilience
{
    private readonly ResiliencePipeline _pipeline;
    private readonly ProviderResilienceOptions _options;
    private readonly ILogger _logger;

    /// <summary>The message of the last call that failed, named when the circuit refuses later calls.</summary>
    private string? _lastFailure;
    private int _circuitOpen;

    public ProviderResilience(string provider, ProviderResilienceOptions options, TimeProvider time, ILogger logger)
    {
        Provider = provider;
        _options = options;
        _logger = logger;
        var builder = new ResiliencePipelineBuilder { Name = $"dso-provider-{provider}", TimeProvider = time };
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = options.CircuitMinimumThroughput,
            SamplingDuration = options.CircuitSamplingDuration,
            BreakDuration = options.CircuitBreakDuration,
            ShouldHandle = new PredicateBuilder().Handle<ProviderException>(error => error.IsTransient).Handle<TimeoutRejectedException>(),
            OnOpened = _ =>
            {
                Interlocked.Exchange(ref _circuitOpen, 1);
                LogCircuitOpened(Provider, options.CircuitBreakDuration.TotalSeconds);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                Interlocked.Exchange(ref _circuitOpen, 0);
                LogCircuitClosed(Provider);
                return ValueTask.CompletedTask;
            },
        });
        if (options.MaxRetries > 0)
        {
            AddRetry(builder, options);
        }

        builder.AddConcurrencyLimiter(options.MaxConcurrency, options.MaxQueued);
        builder.AddTimeout(options.AttemptTimeout);
        _pipeline = builder.Build();
    }

    public string Provider { get; }

    /// <summary>True while the circuit is open and calls fail at once.</summary>
    public bool IsCircuitOpen => Volatile.Read(ref _circuitOpen) == 1;

    /// <summary>
    /// Runs one provider call under the policy. Timeouts, a refused slot and an open circuit come back as
    /// <see cref="ProviderException"/>s that name the provider and the call.
    /// </summary>
    /// <param name="operation">What the call does, for messages: "GET /v1/secret/metadata/db".</param>
    public async Task<T> ExecuteAsync<T>(string operation, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        // Counted here because earlier attempts may have failed for another reason than the timeout.
        int attempts = 0;
        ValueTask<T> CountedCall(CancellationToken token)
        {
            Interlocked.Increment(ref attempts);
            return call(token);
        }

        try
        {
            return await _pipeline.ExecuteAsync(CountedCall, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException error) when (!cancellationToken.IsCancellationRequested)
        {
            string attemptText = attempts > 1 ? $" on the last of {attempts} attempts" : "";
            var timedOut = new ProviderException(
                Provider,
                ProviderErrorKind.Unavailable,
                $"Provider {Provider}: {operation} timed out after {Seconds(_options.AttemptTimeout)} s{attemptText}. Check that the provider is reachable from this host and not overloaded.",
                error);
            Volatile.Write(ref _lastFailure, timedOut.Message);
            throw timedOut;
        }
        catch (BrokenCircuitException error)
        {
            string retryAfter = error.RetryAfter is { } wait ? $" for {Seconds(wait)} s more" : "";
            string last = Volatile.Read(ref _lastFailure) is { } failure ? $" The last failure: {failure}" : "";
            throw new ProviderException(
                Provider,
                ProviderErrorKind.CircuitOpen,
                $"Provider {Provider}: {operation} was not attempted: too many calls failed, so calls are paused{retryAfter}.{last}",
                error);
        }
        catch (ProviderException error) when (error.Kind is not ProviderErrorKind.CircuitOpen)
        {
            Volatile.Write(ref _lastFailure, error.Message);
            throw;
        }
        catch (RateLimiterRejectedException error)
        {
            throw new ProviderException(
                Provider,
                ProviderErrorKind.Throttled,
                $"Provider {Provider}: {operation} was not attempted: more than {_options.MaxQueued} calls were waiting.",
                error);
        }
    }

    private void AddRetry(ResiliencePipelineBuilder builder, ProviderResilienceOptions options) =>
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = options.MaxRetries,
            Delay = options.RetryBaseDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = new PredicateBuilder().Handle<ProviderException>(error => error.IsTransient).Handle<TimeoutRejectedException>(),
            OnRetry = arguments =>
            {
                LogRetry(Provider, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalMilliseconds, arguments.Outcome.Exception?.Message ?? "no error");
                return ValueTask.CompletedTask;
            },
        });

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    // Debug: the caller logs the final failure once; a line per retry would repeat it on every poll of an outage.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Provider {Provider}: retry {Attempt} in {DelayMs:0} ms after: {Reason}")]
    private partial void LogRetry(string provider, int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Provider {Provider}: calls paused for {Seconds} s after repeated failures")]
    private partial void LogCircuitOpened(string provider, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: calls resumed")]
    private partial void LogCircuitClosed(string provider);
}
