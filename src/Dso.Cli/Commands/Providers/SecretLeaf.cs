namespace Dso.Cli.Commands.Providers;

/// <summary>One leaf of a JSON secret: where it is, its JSON type, and its rendered value (null for a JSON null).</summary>
internal sealed record SecretLeaf(IReadOnlyList<PathSegment> Path, string Type, byte[]? Value);
