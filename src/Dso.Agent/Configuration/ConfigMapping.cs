using YamlDotNet.RepresentationModel;

namespace Dso.Agent.Configuration;

/// <summary>A YAML mapping of dso.yaml whose keys were checked against the accepted ones, with its dotted key path.</summary>
internal sealed class ConfigMapping
{
    private readonly Dictionary<string, YamlNode> _values;

    public ConfigMapping(string keyPath, long line, IReadOnlyList<(string Key, YamlNode KeyNode, YamlNode Value)> entries)
    {
        KeyPath = keyPath;
        Line = line;
        Entries = entries;
        _values = entries.ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal);
    }

    /// <summary>Dotted path of the mapping, such as "secrets.db.rotation"; empty for the document root.</summary>
    public string KeyPath { get; }

    /// <summary>The line that a missing key is reported on: the line of the mapping's own key.</summary>
    public long Line { get; }

    public IReadOnlyList<(string Key, YamlNode KeyNode, YamlNode Value)> Entries { get; }

    public YamlNode? this[string key] => _values.GetValueOrDefault(key);

    public bool Contains(string key) => _values.ContainsKey(key);

    public string PathOf(string key) => KeyPath.Length == 0 ? key : $"{KeyPath}.{key}";
}
