namespace Dso.Agent.Configuration;

/// <summary>One entry of secrets: in dso.yaml: where the value comes from, how it reaches which containers, and how they are rotated.</summary>
internal sealed record SecretConfig
{
    public required string Name { get; init; }

    /// <summary>Name of an entry of providers:.</summary>
    public required string Provider { get; init; }

    /// <summary>The secret's path or name inside the provider.</summary>
    public required string Path { get; init; }

    /// <summary>One top-level key of a JSON object secret, taken literally (a dot is part of the key), or null for the whole value.</summary>
    public string? Key { get; init; }

    /// <summary>
    /// The segments of a nested key of a JSON secret (an object key, or an array index in decimal), or null.
    /// At most one of <see cref="Key"/> and <see cref="KeyPath"/> is set.
    /// </summary>
    public IReadOnlyList<string>? KeyPath { get; init; }

    public required InjectConfig Inject { get; init; }

    public required TargetsConfig Targets { get; init; }

    public required RotationConfig Rotation { get; init; }
}
