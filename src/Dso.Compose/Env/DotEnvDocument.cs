namespace Dso.Compose.Env;

/// <summary>
/// The variables of one parsed .env file and the warnings raised while parsing it.
/// </summary>
internal sealed class DotEnvDocument
{
    public DotEnvDocument(IReadOnlyList<DotEnvEntry> entries, IReadOnlyList<DotEnvWarning> warnings)
    {
        Entries = entries;
        Warnings = warnings;
    }

    /// <summary>
    /// Entries in file order with one entry per key. For a duplicate key, the last definition wins
    /// and keeps its own position.
    /// </summary>
    public IReadOnlyList<DotEnvEntry> Entries { get; }

    public IReadOnlyList<DotEnvWarning> Warnings { get; }

    /// <summary>
    /// Copies the entries into a new dictionary with ordinal (case-sensitive) keys, as environment
    /// variable names are on Linux. A bare <c>KEY</c> line maps to null.
    /// </summary>
    public IReadOnlyDictionary<string, string?> ToDictionary()
    {
        var variables = new Dictionary<string, string?>(Entries.Count, StringComparer.Ordinal);
        foreach (DotEnvEntry entry in Entries)
        {
            variables[entry.Key] = entry.Value;
        }

        return variables;
    }
}
