using Dso.Agent.Configuration;
using Dso.Agent.Providers;

namespace Dso.Cli.Commands.Providers;

/// <summary>
/// Checks one provider as the agent would use it: build it, check the connection, look up the current version
/// of each secret, fetch that version and apply the secret's key selection. Values are read and cleared at once;
/// only versions and reasons are kept.
/// </summary>
internal static class ProviderChecker
{
    /// <param name="cancellationToken">Cancelled when the overall time limit is reached; what was not checked by then is reported as timed out.</param>
    /// <param name="timeoutReason">The reason given for each step that the time limit cut short.</param>
    public static async Task<ProviderCheckResult> CheckAsync(
        ProviderConfig config,
        IReadOnlyList<SecretConfig> secrets,
        ProviderContext context,
        string timeoutReason,
        CancellationToken cancellationToken)
    {
        ISecretProvider provider;
        try
        {
            provider = ProviderFactory.Create(config, context);
        }
        catch (ProviderException error)
        {
            return Failed(config, secrets, error.Message, "not checked, because the provider could not be created");
        }

        await using (provider.ConfigureAwait(false))
        {
            return await CheckAsync(provider, config, secrets, timeoutReason, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Checks a provider that is already built; the caller disposes it.</summary>
    public static async Task<ProviderCheckResult> CheckAsync(
        ISecretProvider provider,
        ProviderConfig config,
        IReadOnlyList<SecretConfig> secrets,
        string timeoutReason,
        CancellationToken cancellationToken)
    {
        try
        {
            await provider.CheckConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException error)
        {
            return Failed(config, secrets, error.Message, "not checked, because the connection check failed");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Failed(config, secrets, $"Provider {config.Name}: the connection check {timeoutReason}.", $"not checked: {timeoutReason}");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return Failed(config, secrets, AgentConfigFile.Unexpected(config.Name, error), "not checked, because the connection check failed");
        }

        IReadOnlyDictionary<string, VersionLookup> versions;
        try
        {
            string[] paths = secrets.Select(secret => secret.Path).Distinct(StringComparer.Ordinal).ToArray();
            versions = paths.Length == 0
                ? new Dictionary<string, VersionLookup>()
                : await provider.GetCurrentVersionsAsync(paths, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ProviderCheckResult(config, true, null, secrets.Select(secret => new SecretCheck(secret, false, null, $"not checked: {timeoutReason}")).ToList());
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            string reason = error is ProviderException known ? known.Message : AgentConfigFile.Unexpected(config.Name, error);
            return new ProviderCheckResult(config, true, null, secrets.Select(secret => new SecretCheck(secret, false, null, reason)).ToList());
        }

        SecretCheck[] checks = await Task.WhenAll(secrets.Select(secret => CheckSecretAsync(provider, secret, versions, timeoutReason, cancellationToken))).ConfigureAwait(false);
        return new ProviderCheckResult(config, true, null, checks);
    }

    private static async Task<SecretCheck> CheckSecretAsync(
        ISecretProvider provider,
        SecretConfig secret,
        IReadOnlyDictionary<string, VersionLookup> versions,
        string timeoutReason,
        CancellationToken cancellationToken)
    {
        if (!versions.TryGetValue(secret.Path, out VersionLookup lookup))
        {
            return new SecretCheck(secret, false, null, $"Provider {provider.Name}: the version lookup returned nothing for path {secret.Path}. This is a bug in dso; please report it.");
        }

        if (!lookup.Succeeded)
        {
            return new SecretCheck(secret, false, null, lookup.Error!.Message);
        }

        try
        {
            using SecretPayload payload = await provider.FetchAsync(secret.Path, lookup.VersionId, cancellationToken).ConfigureAwait(false);
            using SecretPayload selected = SecretValueSelector.Apply(secret, payload);
            return selected.Value.Length == 0
                ? new SecretCheck(secret, false, payload.VersionId, $"Provider {provider.Name}: version {payload.VersionId} of {secret.Path} gives an empty value for {SecretValueSelector.Describe(secret)}, so it is reported as not readable. Store a value at the provider, or select another key.")
                : new SecretCheck(secret, true, payload.VersionId, null);
        }
        catch (ProviderException error)
        {
            return new SecretCheck(secret, false, lookup.VersionId, error.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new SecretCheck(secret, false, lookup.VersionId, $"not checked: {timeoutReason}");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return new SecretCheck(secret, false, lookup.VersionId, AgentConfigFile.Unexpected(provider.Name, error));
        }
    }

    private static ProviderCheckResult Failed(ProviderConfig config, IReadOnlyList<SecretConfig> secrets, string error, string secretReason) =>
        new(config, false, error, secrets.Select(secret => new SecretCheck(secret, false, null, secretReason)).ToList());
}
