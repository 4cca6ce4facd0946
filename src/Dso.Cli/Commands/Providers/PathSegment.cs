namespace Dso.Cli.Commands.Providers;

/// <summary>One step of a key path: an object key, or an array index (then <see cref="Key"/> is its decimal text).</summary>
internal readonly record struct PathSegment(string Key, int? Index);
