using YamlDotNet.RepresentationModel;

namespace Dso.Compose.Model;

/// <summary>Reading helpers for YAML mappings that honour merge keys (&lt;&lt;), as Compose does.</summary>
internal static class YamlNodes
{
    private const string MergeKey = "<<";

    /// <summary>
    /// Lists the entries of a mapping with merge keys applied: the mapping's own keys first, then the keys of
    /// merged mappings it does not define itself (for a list of mappings, the earlier one wins).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, YamlNode>> Entries(YamlMappingNode mapping)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var merged = new List<YamlMappingNode>();
        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            string key = keyNode is YamlScalarNode scalar ? scalar.Value ?? string.Empty : keyNode.ToString();
            if (key == MergeKey && keyNode is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) })
            {
                if (value is YamlMappingNode one)
                {
                    merged.Add(one);
                }
                else if (value is YamlSequenceNode many)
                {
                    merged.AddRange(many.Children.OfType<YamlMappingNode>());
                }

                continue;
            }

            if (seen.Add(key))
            {
                yield return new KeyValuePair<string, YamlNode>(key, value);
            }
        }

        foreach (YamlMappingNode source in merged)
        {
            foreach (KeyValuePair<string, YamlNode> entry in Entries(source))
            {
                if (seen.Add(entry.Key))
                {
                    yield return entry;
                }
            }
        }
    }

    public static YamlNode? Get(YamlMappingNode mapping, string key)
    {
        foreach (KeyValuePair<string, YamlNode> entry in Entries(mapping))
        {
            if (entry.Key == key)
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>Returns the scalar text of a node, or null for a null scalar or a non-scalar.</summary>
    public static string? ScalarText(YamlNode? node) =>
        node is YamlScalarNode scalar && !IsNull(scalar) ? scalar.Value : null;

    public static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && (scalar.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>1-based line of a node in its file.</summary>
    public static int LineOf(YamlNode node) => (int)node.Start.Line;
}
