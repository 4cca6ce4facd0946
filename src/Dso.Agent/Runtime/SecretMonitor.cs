using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Runtime;

/// <summary>
/// Polls the providers for new versions and keeps the current value of every configured secret in memory.
/// A version id that did not move costs no fetch; an error is never a change: the last good value stays
/// current, the error is logged and counted, and the secret is tried again with backoff.
/// </summary>
internal sealed partial class SecretMonitor
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly AgentConfig _config;
    private readonly IReadOnlyDictionary<string, ISecretProvider> _providers;
    private readonly Fingerprints _fingerprints;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SecretState> _states = new(StringComparer.Ordinal);

    public SecretMonitor(
        AgentConfig config,
        IReadOnlyDictionary<string, ISecretProvider> providers,
        Fingerprints fingerprints,
        TimeProvider time,
        ILogger logger)
    {
        _config = config;
        _providers = providers;
        _fingerprints = fingerprints;
        _time = time;
        _logger = logger;
        foreach (SecretConfig secret in config.Secrets.Values)
        {
            _states[secret.Name] = new SecretState(secret);
        }
    }

    /// <summary>
    /// Asks every provider for the versions of its secrets and fetches those that moved. Returns the names whose
    /// value changed (including the first value of each secret).
    /// </summary>
    public async Task<IReadOnlyList<string>> PollAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var changed = new List<string>();
        foreach (IGrouping<string, SecretState> group in DueStates(now).GroupBy(state => state.Config.Provider, StringComparer.Ordinal))
        {
            ISecretProvider provider = _providers[group.Key];
            string[] paths = group.Select(state => state.Config.Path).Distinct(StringComparer.Ordinal).ToArray();
            IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync(paths, cancellationToken);
            foreach (SecretState state in group)
            {
                if (!versions.TryGetValue(state.Config.Path, out VersionLookup lookup))
                {
                    RecordError(state, new ProviderException(provider.Name, ProviderErrorKind.Invalid, $"Provider {provider.Name} returned no version for {state.Config.Path}."));
                    continue;
                }

                if (!lookup.Succeeded)
                {
                    RecordError(state, lookup.Error!);
                    continue;
                }

                if (state.Current is not null && state.FetchedVersion == lookup.VersionId)
                {
                    RecordSuccess(state);
                    continue;
                }

                if (await FetchAsync(state, provider, lookup.VersionId, cancellationToken))
                {
                    changed.Add(state.Config.Name);
                }
            }
        }

        return changed;
    }

    /// <summary>Fetches one secret now, ignoring backoff, for dso rotate. Returns its current value.</summary>
    /// <exception cref="ProviderException">The fetch failed.</exception>
    public async Task<CurrentSecret> RefreshAsync(string name, CancellationToken cancellationToken)
    {
        SecretState state = _states[name];
        ISecretProvider provider = _providers[state.Config.Provider];
        IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync([state.Config.Path], cancellationToken);
        VersionLookup lookup = versions[state.Config.Path];
        if (!lookup.Succeeded)
        {
            RecordError(state, lookup.Error!);
            throw lookup.Error!;
        }

        if (state.Current is null || state.FetchedVersion != lookup.VersionId)
        {
            await FetchAsync(state, provider, lookup.VersionId, cancellationToken);
        }

        return state.Current ?? throw new ProviderException(provider.Name, ProviderErrorKind.Invalid, state.LastError ?? $"Secret {name} could not be read.");
    }

    public CurrentSecret? Get(string name)
    {
        lock (_gate)
        {
            return _states.TryGetValue(name, out SecretState? state) ? state.Current : null;
        }
    }

    public IReadOnlyList<SecretStatus> Status()
    {
        lock (_gate)
        {
            return _states.Values
                .OrderBy(state => state.Config.Name, StringComparer.Ordinal)
                .Select(state => new SecretStatus
                {
                    Name = state.Config.Name,
                    Provider = state.Config.Provider,
                    Version = state.Current?.Version,
                    LastChecked = state.LastChecked,
                    Error = state.LastError,
                    ConsecutiveErrors = state.ConsecutiveErrors,
                })
                .ToList();
        }
    }

    private List<SecretState> DueStates(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _states.Values.Where(state => state.NextAttempt <= now).ToList();
        }
    }

    /// <summary>Fetches and selects a value; returns true when its fingerprint differs from the current one.</summary>
    private async Task<bool> FetchAsync(SecretState state, ISecretProvider provider, string? versionId, CancellationToken cancellationToken)
    {
        byte[] value;
        string version;
        try
        {
            using SecretPayload payload = await provider.FetchAsync(state.Config.Path, versionId, cancellationToken);
            version = payload.VersionId;

            // The selected part is a new array that the current value keeps; the payload's own bytes are cleared.
            SecretPayload selected = SecretValueSelector.Apply(state.Config, payload);
            value = selected.Value;
        }
        catch (ProviderException error)
        {
            RecordError(state, error);
            return false;
        }

        if (value.Length == 0)
        {
            RecordError(state, new ProviderException(provider.Name, ProviderErrorKind.Invalid,
                $"Secret {state.Config.Name}: provider {provider.Name} returned an empty value for {state.Config.Path} (version {version}); it is not delivered. Store a non-empty value."));
            return false;
        }

        string fingerprint = _fingerprints.Of(value);
        var fresh = new CurrentSecret(state.Config.Name, provider.Name, version, fingerprint, value);
        bool changed;
        lock (_gate)
        {
            changed = state.Current is null || state.Current.Fingerprint != fingerprint;
            state.Current = fresh;
            state.FetchedVersion = versionId ?? version;
        }

        RecordSuccess(state);
        if (changed)
        {
            LogNewVersion(state.Config.Name, provider.Name, version, fingerprint);
        }

        return changed;
    }

    private void RecordSuccess(SecretState state)
    {
        lock (_gate)
        {
            state.LastChecked = _time.GetUtcNow();
            state.LastError = null;
            state.ConsecutiveErrors = 0;
            state.NextAttempt = DateTimeOffset.MinValue;
        }
    }

    private void RecordError(SecretState state, ProviderException error)
    {
        TimeSpan backoff;
        lock (_gate)
        {
            state.LastChecked = _time.GetUtcNow();
            state.LastError = error.Message;
            state.ConsecutiveErrors++;
            double factor = Math.Pow(2, Math.Min(state.ConsecutiveErrors - 1, 10));
            backoff = TimeSpan.FromTicks((long)Math.Min(_config.Agent.PollInterval.Ticks * (factor - 1), MaxBackoff.Ticks));
            state.NextAttempt = _time.GetUtcNow() + backoff;
        }

        string consequence = state.Current is null
            ? "its targets wait for a first value"
            : "the last good value stays in use";
        LogFetchFailed(state.Config.Name, state.Config.Provider, state.ConsecutiveErrors, backoff.TotalSeconds, consequence, error.Message);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Secret {Secret}: provider {Provider} has version {Version} ({Fingerprint})")]
    private partial void LogNewVersion(string secret, string provider, string version, string fingerprint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secret {Secret}: fetch from {Provider} failed ({Count} in a row; next try in {BackoffSeconds:0} s beyond the poll interval); {Consequence}: {Reason}")]
    private partial void LogFetchFailed(string secret, string provider, int count, double backoffSeconds, string consequence, string reason);

    private sealed class SecretState(SecretConfig config)
    {
        public SecretConfig Config { get; } = config;

        public CurrentSecret? Current { get; set; }

        /// <summary>The version id last fetched, as the provider's version lookup returned it.</summary>
        public string? FetchedVersion { get; set; }

        public DateTimeOffset? LastChecked { get; set; }

        public string? LastError { get; set; }

        public int ConsecutiveErrors { get; set; }

        public DateTimeOffset NextAttempt { get; set; } = DateTimeOffset.MinValue;
    }
}
