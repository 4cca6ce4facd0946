namespace Dso.Agent.Providers;

/// <summary>The result of asking for one path's current version: a version id or the error that prevented it.</summary>
internal readonly record struct VersionLookup
{
    private VersionLookup(string? versionId, ProviderException? error)
    {
        VersionId = versionId;
        Error = error;
    }

    /// <summary>The provider's id of the current version, or null when <see cref="Error"/> is set.</summary>
    public string? VersionId { get; }

    public ProviderException? Error { get; }

    public bool Succeeded => Error is null;

    public static VersionLookup Found(string versionId) => new(versionId, null);

    public static VersionLookup Failed(ProviderException error) => new(null, error);
}
