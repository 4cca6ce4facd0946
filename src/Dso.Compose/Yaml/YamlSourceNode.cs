namespace Dso.Compose.Yaml;

/// <summary>
/// A YAML node with its place in the source text, so that an edit can splice a replacement into the original
/// string and leave every comment, key order, anchor and quoting style around it as it was.
/// </summary>
internal abstract class YamlSourceNode
{
    /// <summary>UTF-16 offset of the node's first character, including an anchor or tag written before it.</summary>
    public required int Start { get; init; }

    /// <summary>UTF-16 offset just after the node's last character.</summary>
    public required int End { get; init; }

    /// <summary>1-based line of the node's value (after any anchor or tag).</summary>
    public required int Line { get; init; }

    /// <summary>1-based column of <see cref="Start"/>.</summary>
    public required int Column { get; init; }

    public string? Anchor { get; init; }

    /// <summary>True inside a flow collection ([...] or {...}), where a plain scalar must not contain ": " or ",[]{}".</summary>
    public bool InFlow { get; init; }
}
