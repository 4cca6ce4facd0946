using System.Globalization;
using Dso.Agent.Configuration;
using Dso.Core.Paths;
using Dso.Vault.Format;
using Dso.Vault.Keys;
using Dso.Vault.Store;

namespace Dso.Agent.Providers.Local;

/// <summary>
/// A dso vault file on this host. Its master.key sits beside it; a passphrase vault takes its passphrase from
/// the DSO_PASSPHRASE environment variable, since the agent has no terminal. A version id is the entry's
/// version with its creation time, so that an entry removed and set again is still a change.
/// </summary>
internal sealed class LocalVaultProvider : ISecretProvider
{
    public const string VaultFileName = "vault.enc";

    private readonly VaultStore _store;
    private readonly ProviderContext _context;
    private ProviderHealth _health;

    public LocalVaultProvider(LocalProviderConfig config, ProviderContext context)
    {
        Name = config.Name;
        _context = context;
        if (Path.GetFileName(config.VaultPath) != VaultFileName)
        {
            throw new ProviderException(
                config.Name,
                ProviderErrorKind.Invalid,
                $"Provider {config.Name}: vault_path {config.VaultPath} must name a file called {VaultFileName}, with its master.key in the same directory.");
        }

        string home = Path.GetDirectoryName(config.VaultPath)!;
        var paths = new DsoPaths { Home = home, StateDirectory = home, LockDirectory = home, SocketPath = "" };
        _store = new VaultStore(paths, () => new PassphraseKeySource(ReadPassphrase), context.Time);
        _health = ProviderHealth.Healthy(context.Time.GetUtcNow());
    }

    public string Name { get; }

    public ProviderHealth Health => _health;

    public Task<IReadOnlyDictionary<string, VersionLookup>> GetCurrentVersionsAsync(
        IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = new Dictionary<string, VersionLookup>(StringComparer.Ordinal);
        VaultDocument document;
        try
        {
            document = _store.Load();
            MarkHealthy();
        }
        catch (Exception error) when (error is Core.DsoException or IOException or UnauthorizedAccessException)
        {
            ProviderException failure = Wrap(error);
            foreach (string path in paths)
            {
                result[path] = VersionLookup.Failed(failure);
            }

            return Task.FromResult<IReadOnlyDictionary<string, VersionLookup>>(result);
        }

        foreach (string path in paths)
        {
            result[path] = document.Entries.TryGetValue(path, out VaultEntry? entry)
                ? VersionLookup.Found(VersionOf(entry))
                : VersionLookup.Failed(NotFound(path));
        }

        return Task.FromResult<IReadOnlyDictionary<string, VersionLookup>>(result);
    }

    public Task<SecretPayload> FetchAsync(string path, string? versionId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        VaultEntry? entry;
        try
        {
            entry = _store.LoadEntry(path);
            MarkHealthy();
        }
        catch (Exception error) when (error is Core.DsoException or IOException or UnauthorizedAccessException)
        {
            throw Wrap(error);
        }

        if (entry is null)
        {
            throw NotFound(path);
        }

        string current = VersionOf(entry);
        if (versionId is not null && versionId != current)
        {
            throw new ProviderException(
                Name,
                ProviderErrorKind.NotFound,
                $"Provider {Name}: {_store.VaultPath} holds version {current} of {path}, not {versionId}; the local vault keeps only the current version.");
        }

        return Task.FromResult(new SecretPayload(current, entry.Value, isText: true));
    }

    public Task CheckConnectionAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            _store.Load();
            MarkHealthy();
        }
        catch (Exception error) when (error is Core.DsoException or IOException or UnauthorizedAccessException)
        {
            throw Wrap(error);
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string VersionOf(VaultEntry entry) =>
        string.Create(CultureInfo.InvariantCulture, $"{entry.Version}@{entry.Created.ToUnixTimeMilliseconds()}");

    private string ReadPassphrase() =>
        _context.Environment("DSO_PASSPHRASE") is { Length: > 0 } passphrase
            ? passphrase
            : throw new ProviderException(
                Name,
                ProviderErrorKind.Unauthenticated,
                $"Provider {Name}: {_store.VaultPath} is protected by a passphrase; set DSO_PASSPHRASE in the agent's environment (/etc/dso/agent.env), or rekey it to a master.key with dso vault rekey.");

    private ProviderException NotFound(string path) =>
        new(Name, ProviderErrorKind.NotFound, $"Provider {Name}: {_store.VaultPath} has no entry {path}. Add it with dso secret set {path}.");

    private ProviderException Wrap(Exception error)
    {
        if (error is ProviderException known)
        {
            MarkUnhealthy(known.Message);
            return known;
        }

        ProviderErrorKind kind = error switch
        {
            VaultFormatException { IsWrongKey: true } => ProviderErrorKind.Unauthenticated,
            UnauthorizedAccessException => ProviderErrorKind.AccessDenied,
            FileNotFoundException or DirectoryNotFoundException => ProviderErrorKind.NotFound,
            IOException => ProviderErrorKind.Unavailable,
            _ => ProviderErrorKind.Invalid,
        };
        var wrapped = new ProviderException(Name, kind, $"Provider {Name}: {error.Message}", error);
        MarkUnhealthy(wrapped.Message);
        return wrapped;
    }

    private void MarkHealthy()
    {
        if (!_health.IsHealthy)
        {
            _health = ProviderHealth.Healthy(_context.Time.GetUtcNow());
        }
    }

    private void MarkUnhealthy(string reason)
    {
        if (_health.IsHealthy || _health.Reason != reason)
        {
            _health = ProviderHealth.Unhealthy(reason, _context.Time.GetUtcNow());
        }
    }
}
