using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.Azure;

/// <summary>
/// Polling with the vault-wide secret list as a change hint. A poll reads every page of GET /secrets (up to 25
/// items a page). It looks up the versions of a secret only when its list item changed, is new or is missing,
/// when the secret has no confirmed version, or when the backstop is due. A steady-state poll costs the list pages only.
/// </summary>
/// <remarks>
/// The Key Vault documentation does not promise that a list item's attributes change with a new version, so each
/// secret is also looked up at most <see cref="AzureClientSettings.FullCheckInterval"/> after its last lookup.
/// Key Vault stores times in whole seconds, so an item that changed in the second the list was read is looked up
/// again in the next poll. A failed list falls back to a lookup of every secret, which reports errors, never a change.
/// </remarks>
internal sealed partial class AzureKeyVaultProvider
{
    /// <summary>The list of the whole vault: each item by Key Vault name, and whether it changed in the second the list was read.</summary>
    private sealed record SecretListing(Dictionary<string, (ListedSecret Item, bool Recent)> Items, int Pages);

    private readonly ConcurrentDictionary<string, ConfirmedSecret> _confirmed = new(StringComparer.OrdinalIgnoreCase);
    private int? _listPages;
    private DateTimeOffset _listPagesCountedAt;
    private int _listFailing;

    public async Task<IReadOnlyDictionary<string, VersionLookup>> GetCurrentVersionsAsync(
        IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, VersionLookup>(StringComparer.Ordinal);
        foreach ((string first, string second, string name) in AzureSecretNames.FindCollisions(paths))
        {
            ProviderException collision = new(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: the paths {first} and {second} both map to the Key Vault secret {name}, because Key Vault names ignore case. Rename one of them.");
            result[first] = VersionLookup.Failed(collision);
            result[second] = VersionLookup.Failed(collision);
        }

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in paths.Distinct(StringComparer.Ordinal).Where(path => !result.ContainsKey(path)))
        {
            try
            {
                names[path] = KeyVaultNameOf(path);
            }
            catch (ProviderException invalid)
            {
                result[path] = VersionLookup.Failed(invalid);
            }
        }

        if (names.Count == 0)
        {
            return result;
        }

        SecretListing? listing = null;
        if (ShouldList(names.Count))
        {
            (listing, ProviderException? listFailure) = await TryListAsync(cancellationToken).ConfigureAwait(false);

            // A vault that throttles or does not respond would only get more load from one lookup per secret, so this
            // poll reports the error for every secret (never a change), and the resilience pipeline backs off.
            if (listFailure is { Kind: ProviderErrorKind.Throttled or ProviderErrorKind.Unavailable or ProviderErrorKind.CircuitOpen })
            {
                foreach (string path in names.Keys)
                {
                    result[path] = VersionLookup.Failed(listFailure);
                }

                LogPolled(Name, names.Count, 0, 0);
                return result;
            }
        }

        DateTimeOffset now = _context.Time.GetUtcNow();
        var pending = new List<Task<(string Path, VersionLookup Lookup)>>();
        foreach ((string path, string name) in names)
        {
            (ListedSecret Item, bool Recent)? listed = listing is not null && listing.Items.TryGetValue(name, out var item) ? item : null;
            if (listed is { } entry && _confirmed.TryGetValue(name, out ConfirmedSecret? confirmed) && confirmed.StillCurrent(entry.Item, now))
            {
                result[path] = VersionLookup.Found(confirmed.Version);
                continue;
            }

            pending.Add(LookUpAndConfirmAsync(path, name, listed, cancellationToken));
        }

        foreach ((string path, VersionLookup lookup) in await Task.WhenAll(pending).ConfigureAwait(false))
        {
            result[path] = lookup;
        }

        LogPolled(Name, names.Count, listing?.Pages ?? 0, pending.Count);
        return result;
    }

    /// <summary>
    /// Decides whether a poll of <paramref name="secretCount"/> secrets reads the list. When the last list took more
    /// pages than there are secrets to poll, a lookup per secret costs fewer requests, and the list is read again only
    /// once per full-check interval to count its pages anew.
    /// </summary>
    private bool ShouldList(int secretCount) =>
        _listPages is not { } pages
            || pages <= secretCount
            || _context.Time.GetUtcNow() - _listPagesCountedAt >= _settings.FullCheckInterval;

    /// <summary>
    /// Reads every page of the secret list. After a failure it returns no listing and the error: the caller then looks
    /// up each secret, unless the vault throttles or does not respond.
    /// </summary>
    private async Task<(SecretListing? Listing, ProviderException? Failure)> TryListAsync(CancellationToken cancellationToken)
    {
        string operation = $"GET {_config.VaultUrl.AbsoluteUri.TrimEnd('/')}/secrets";
        var items = new Dictionary<string, (ListedSecret Item, bool Recent)>(StringComparer.OrdinalIgnoreCase);
        int pages = 0;
        string? continuation = null;
        try
        {
            do
            {
                (IReadOnlyList<SecretProperties> values, string? next, DateTimeOffset? served) = await CallAsync(
                    operation,
                    "the secret list of the key vault",
                    attemptToken => ReadSecretPageAsync(continuation, attemptToken),
                    cancellationToken).ConfigureAwait(false);
                pages++;

                // The Date header is the server's clock, so the agent's clock skew does not matter. Without it, the local clock is used.
                DateTimeOffset listedAt = served ?? _context.Time.GetUtcNow();
                foreach (SecretProperties value in values)
                {
                    var item = ListedSecret.From(value);
                    bool recent = item.LastChanged is not { } changed || changed >= listedAt - TimeSpan.FromSeconds(1);
                    items[value.Name] = (item, recent);
                }

                continuation = next;
            }
            while (continuation is not null);
        }
        catch (ProviderException error)
        {
            if (Interlocked.Exchange(ref _listFailing, 1) == 0)
            {
                LogListFailed(Name, error.Message);
            }

            return (null, error);
        }

        if (Interlocked.Exchange(ref _listFailing, 0) == 1)
        {
            LogListRecovered(Name);
        }

        _listPages = pages;
        _listPagesCountedAt = _context.Time.GetUtcNow();
        return (new SecretListing(items, pages), null);
    }

    private async ValueTask<(IReadOnlyList<SecretProperties> Items, string? Next, DateTimeOffset? Served)> ReadSecretPageAsync(
        string? continuation, CancellationToken cancellationToken)
    {
        // As for versions, the continuation token is the nextLink of the previous page.
        await foreach (Page<SecretProperties> page in _client.GetPropertiesOfSecretsAsync(cancellationToken).AsPages(continuation).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            return (page.Values, page.ContinuationToken, page.GetRawResponse().Headers.Date);
        }

        return ([], null, null);
    }

    /// <summary>Looks up the current version of one secret and remembers it with the list item seen in this poll.</summary>
    private async Task<(string Path, VersionLookup Lookup)> LookUpAndConfirmAsync(
        string path, string name, (ListedSecret Item, bool Recent)? listed, CancellationToken cancellationToken)
    {
        (string _, VersionLookup lookup) = await LookUpVersionAsync(path, cancellationToken).ConfigureAwait(false);
        if (!lookup.Succeeded)
        {
            _confirmed.TryRemove(name, out _);
            return (path, lookup);
        }

        bool known = _confirmed.ContainsKey(name);
        _confirmed[name] = new ConfirmedSecret(listed?.Item, lookup.VersionId!, NextRecheck(known), listed?.Recent ?? false);
        return (path, lookup);
    }

    /// <summary>
    /// Spreads the backstop's lookups over the polls. A secret seen for the first time is due at a random point of
    /// the first interval, and later at 75 to 100 percent of it, so that secrets looked up in the same poll drift apart.
    /// </summary>
    private DateTimeOffset NextRecheck(bool known)
    {
        double fraction = known ? 1 - (0.25 * Random.Shared.NextDouble()) : Random.Shared.NextDouble();
        return _context.Time.GetUtcNow() + (_settings.FullCheckInterval * fraction);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Provider {Provider}: polled {Secrets} secrets with {Pages} list pages and {Lookups} version lookups")]
    private partial void LogPolled(string provider, int secrets, int pages, int lookups);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}: reading the secret list failed, so each poll looks up every secret until it works again: {Reason}")]
    private partial void LogListFailed(string provider, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: the secret list works again; polls look up only changed secrets")]
    private partial void LogListRecovered(string provider);
}
