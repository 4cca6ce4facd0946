namespace Dso.Agent.Configuration;

/// <summary>One entry of providers: in dso.yaml; the subtype carries the settings of its type.</summary>
internal abstract record ProviderConfig
{
    public required string Name { get; init; }

    public abstract ProviderType Type { get; }
}
