using System.Text;
using Dso.Agent.Providers;

namespace Dso.Cli.Tests.Providers;

/// <summary>
/// A small in-memory ISecretProvider whose connection check and reads can be made to fail or hang, for the
/// cases the local vault cannot produce. Values are held as text by path.
/// </summary>
internal sealed class ScriptedProvider : ISecretProvider
{
    private readonly Dictionary<string, string> _values;

    public ScriptedProvider(string name, Dictionary<string, string> values)
    {
        Name = name;
        _values = values;
    }

    public string Name { get; }

    public ProviderHealth Health => ProviderHealth.Healthy(DateTimeOffset.UnixEpoch);

    /// <summary>Thrown by every call when set.</summary>
    public Exception? Failure { get; init; }

    /// <summary>When true, fetches wait until cancelled.</summary>
    public bool HangOnFetch { get; init; }

    public bool Disposed { get; private set; }

    public Task<IReadOnlyDictionary<string, VersionLookup>> GetCurrentVersionsAsync(IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var result = paths.ToDictionary(
            path => path,
            path => _values.ContainsKey(path)
                ? VersionLookup.Found("v1")
                : VersionLookup.Failed(new ProviderException(Name, ProviderErrorKind.NotFound, $"Provider {Name}: no secret {path}.")),
            StringComparer.Ordinal);
        return Task.FromResult<IReadOnlyDictionary<string, VersionLookup>>(result);
    }

    public async Task<SecretPayload> FetchAsync(string path, string? versionId, CancellationToken cancellationToken)
    {
        if (Failure is not null)
        {
            throw Failure;
        }

        if (HangOnFetch)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }

        return new SecretPayload("v1", Encoding.UTF8.GetBytes(_values[path]), isText: true);
    }

    public Task CheckConnectionAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
