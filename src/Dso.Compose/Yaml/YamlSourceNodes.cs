namespace Dso.Compose.Yaml;

/// <summary>Reading helpers for <see cref="YamlSourceNode"/> trees that follow aliases and merge keys (&lt;&lt;), as Compose does.</summary>
internal static class YamlSourceNodes
{
    public const string MergeKey = "<<";

    /// <summary>Returns the node an alias stands for, or the node itself.</summary>
    public static YamlSourceNode Resolve(YamlSourceNode node) => node is YamlSourceAlias alias ? Resolve(alias.Target) : node;

    /// <summary>
    /// Lists the entries of a mapping with merge keys applied: the mapping's own keys first, then the keys of
    /// merged mappings it does not define itself (for a list of mappings, the earlier one wins).
    /// </summary>
    public static IEnumerable<YamlMergedEntry> Entries(YamlSourceMapping mapping)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var merged = new List<YamlSourceMapping>();
        foreach (YamlSourceEntry entry in mapping.Entries)
        {
            string key = KeyText(entry.Key);
            if (IsMergeKey(entry.Key))
            {
                switch (Resolve(entry.Value))
                {
                    case YamlSourceMapping one:
                        merged.Add(one);
                        break;
                    case YamlSourceSequence many:
                        merged.AddRange(many.Items.Select(Resolve).OfType<YamlSourceMapping>());
                        break;
                    default:
                        break;
                }

                continue;
            }

            if (seen.Add(key))
            {
                yield return new YamlMergedEntry(key, entry, FromMerge: false);
            }
        }

        foreach (YamlSourceMapping source in merged)
        {
            foreach (YamlMergedEntry entry in Entries(source))
            {
                if (seen.Add(entry.Key))
                {
                    yield return entry with { FromMerge = true };
                }
            }
        }
    }

    public static YamlMergedEntry? Get(YamlSourceMapping mapping, string key) =>
        Entries(mapping).FirstOrDefault(entry => entry.Key == key);

    /// <summary>Returns the value of <paramref name="key"/> with aliases resolved, or null when the key is absent.</summary>
    public static YamlSourceNode? GetValue(YamlSourceMapping mapping, string key) =>
        Get(mapping, key) is { } entry ? Resolve(entry.Entry.Value) : null;

    /// <summary>Returns the text of a scalar, or null for a null scalar or a collection.</summary>
    public static string? ScalarText(YamlSourceNode? node) =>
        node is not null && Resolve(node) is YamlSourceScalar scalar && !scalar.IsNull ? scalar.Value : null;

    public static bool IsNull(YamlSourceNode? node) => node is null || (Resolve(node) is YamlSourceScalar scalar && scalar.IsNull);

    public static bool IsMergeKey(YamlSourceNode key) =>
        key is YamlSourceScalar { Value: MergeKey, Style: YamlDotNet.Core.ScalarStyle.Plain };

    /// <summary>Lists every scalar of a tree once, keys left out. Aliases are not followed, as their target is listed where it is written.</summary>
    public static IEnumerable<YamlSourceScalar> Scalars(YamlSourceNode? node)
    {
        switch (node)
        {
            case YamlSourceScalar scalar:
                yield return scalar;
                break;
            case YamlSourceMapping mapping:
                foreach (YamlSourceScalar scalar in mapping.Entries.SelectMany(entry => Scalars(entry.Value)))
                {
                    yield return scalar;
                }

                break;
            case YamlSourceSequence sequence:
                foreach (YamlSourceScalar scalar in sequence.Items.SelectMany(Scalars))
                {
                    yield return scalar;
                }

                break;
            default:
                break;
        }
    }

    private static string KeyText(YamlSourceNode key) => Resolve(key) is YamlSourceScalar scalar ? scalar.Value : string.Empty;
}
