using System.Globalization;
using System.Net;
using Dso.Compose.Env;
using YamlDotNet.RepresentationModel;

namespace Dso.Agent.Configuration;

/// <summary>
/// Reads typed values from the YAML nodes of one dso.yaml and collects every problem as
/// "FILE:LINE: KEY: problem", so that one run reports all of them, in line order. A read that fails returns null.
/// </summary>
internal sealed class ConfigReader
{
    private readonly AgentConfigLoadOptions _options;
    private readonly List<(long Line, string Message)> _errors = [];
    private readonly List<string> _unsetVariables = [];

    public ConfigReader(string file, AgentConfigLoadOptions options)
    {
        File = file;
        _options = options;
    }

    public string File { get; }

    /// <summary>How many problems were found so far; a caller compares it before and after a read.</summary>
    public int ErrorCount => _errors.Count;

    /// <summary>The problems sorted by line (stable, so problems of one line keep their order), as the user reads the file.</summary>
    public IReadOnlyList<string> ErrorsByLine => [.. _errors.OrderBy(error => error.Line).Select(error => error.Message)];

    public IReadOnlyList<string> UnsetVariables => _unsetVariables;

    public void Error(long line, string keyPath, string problem) =>
        _errors.Add((line, keyPath.Length == 0 ? $"{File}:{line}: {problem}" : $"{File}:{line}: {keyPath}: {problem}"));

    public void Error(YamlNode node, string keyPath, string problem) => Error(node.Start.Line, keyPath, problem);

    public void Missing(ConfigMapping mapping, string key, string accepted) =>
        Error(mapping.Line, mapping.PathOf(key), $"is required ({accepted}).");

    /// <summary>
    /// Reads a mapping and reports each key that is not in <paramref name="accepted"/>. An empty value
    /// (<c>key:</c> or <c>key: null</c>) is an empty mapping. <paramref name="line"/> is where a missing key is reported.
    /// </summary>
    public ConfigMapping? Mapping(YamlNode node, string keyPath, long line, IReadOnlyList<string>? accepted, string? acceptedFor = null)
    {
        if (IsNull(node))
        {
            return new ConfigMapping(keyPath, line, []);
        }

        if (node is not YamlMappingNode mapping)
        {
            Error(node, keyPath, "must be a mapping of keys to values, not a single value or a list.");
            return null;
        }

        var entries = new List<(string, YamlNode, YamlNode)>(mapping.Children.Count);
        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
            {
                Error(keyNode, keyPath, "has a key that is empty, a list or a mapping; keys must be plain names.");
                continue;
            }

            if (accepted is not null && !accepted.Contains(key))
            {
                string childPath = keyPath.Length == 0 ? key : $"{keyPath}.{key}";
                Error(keyNode, childPath, $"unknown key{(acceptedFor is null ? "" : " " + acceptedFor)}; accepted keys here: {string.Join(", ", accepted)}. Remove it or correct its spelling.");
                continue;
            }

            entries.Add((key, keyNode, value));
        }

        return new ConfigMapping(keyPath, line, entries);
    }

    /// <summary>Reads a non-empty single value. A "${" in it is an error, because only credential keys are expanded.</summary>
    public string? String(YamlNode node, string keyPath)
    {
        string? value = RawString(node, keyPath);
        if (value is not null && value.Contains("${", StringComparison.Ordinal))
        {
            Error(node, keyPath, "contains \"${\", but ${VAR} is expanded only in credential keys (vault auth.token, auth.role_id, auth.secret_id; azure tenant_id, client_id, client_secret). Write the value itself here.");
            return null;
        }

        return value;
    }

    /// <summary>
    /// Reads a credential and expands ${VAR} references from the environment with Compose's rules. An unset
    /// variable is an error naming it (or, when variables are not required, is recorded and the text kept).
    /// The value never appears in a message.
    /// </summary>
    public string? Credential(YamlNode node, string keyPath)
    {
        string? template = RawString(node, keyPath);
        if (template is null)
        {
            return null;
        }

        var unset = new List<string>();
        string value;
        try
        {
            value = Interpolator.Interpolate(template, _options.Environment, $"{File}:{node.Start.Line}: {keyPath}", unset.Add);
        }
        catch (InterpolationException exception)
        {
            _errors.Add((node.Start.Line, exception.Message));
            return null;
        }

        if (unset.Count > 0)
        {
            if (_options.RequireVariables)
            {
                foreach (string name in unset)
                {
                    Error(node, keyPath, $"refers to the environment variable {name}, which is not set. Set it in the agent's environment (for the service: in {AgentPaths.EnvironmentFileName} beside dso.yaml), or write the value itself.");
                }

                return null;
            }

            _unsetVariables.AddRange(unset.Where(name => !_unsetVariables.Contains(name)));
            return template;
        }

        if (value.Length == 0)
        {
            Error(node, keyPath, "is empty after ${VAR} expansion; set the variable to the credential.");
            return null;
        }

        return value;
    }

    public bool? Boolean(YamlNode node, string keyPath)
    {
        string? value = RawString(node, keyPath);
        switch (value)
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                Error(node, keyPath, $"must be true or false, not \"{value}\".");
                return null;
        }
    }

    public int? Integer(YamlNode node, string keyPath, int minimum, long maximum)
    {
        string? value = RawString(node, keyPath);
        if (value is null)
        {
            return null;
        }

        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long number) || number < minimum || number > maximum)
        {
            Error(node, keyPath, $"must be a whole number from {minimum} to {maximum}, not \"{value}\".");
            return null;
        }

        return (int)number;
    }

    /// <summary>Reads a duration such as 30s or 1h30m that is at least <paramref name="minimum"/>.</summary>
    public TimeSpan? Duration(YamlNode node, string keyPath, TimeSpan minimum)
    {
        string? value = RawString(node, keyPath);
        if (value is null)
        {
            return null;
        }

        if (!Configuration.Duration.TryParse(value, out TimeSpan duration))
        {
            Error(node, keyPath, $"\"{value}\" is not a duration; write {Configuration.Duration.Accepted}.");
            return null;
        }

        if (duration < minimum)
        {
            Error(node, keyPath, $"must be at least {Configuration.Duration.Format(minimum)}, not {value}.");
            return null;
        }

        return duration;
    }

    /// <summary>Reads one of <paramref name="accepted"/>, compared exactly, and returns its index.</summary>
    public int? Choice(YamlNode node, string keyPath, IReadOnlyList<string> accepted)
    {
        string? value = RawString(node, keyPath);
        if (value is null)
        {
            return null;
        }

        int index = accepted.ToList().IndexOf(value);
        if (index < 0)
        {
            Error(node, keyPath, $"must be one of {string.Join(", ", accepted)}, not \"{value}\".");
            return null;
        }

        return index;
    }

    public string? AbsolutePath(YamlNode node, string keyPath)
    {
        string? value = String(node, keyPath);
        if (value is not null && !Path.IsPathFullyQualified(value))
        {
            Error(node, keyPath, $"must be an absolute path (starting with /), not \"{value}\".");
            return null;
        }

        return value;
    }

    /// <summary>
    /// Reads an absolute http or https URL without user information (a password in a URL would end up in logs),
    /// and reports a bad value with <paramref name="example"/>. The value is quoted with any user information hidden.
    /// </summary>
    public Uri? Url(YamlNode node, string keyPath, bool httpsOnly = false, string example = "https://vault.example.com:8200")
    {
        string? value = String(node, keyPath);
        if (value is null)
        {
            return null;
        }

        bool valid = Uri.TryCreate(value, UriKind.Absolute, out Uri? uri)
            && (uri.Scheme == Uri.UriSchemeHttps || (!httpsOnly && uri.Scheme == Uri.UriSchemeHttp))
            && uri.Host.Length > 0;
        if (!valid)
        {
            Error(node, keyPath, $"must be an absolute {(httpsOnly ? "https" : "http or https")} URL such as {example}, not \"{WithoutUserInfo(value)}\".");
            return null;
        }

        if (uri!.UserInfo.Length > 0)
        {
            Error(node, keyPath, $"must not contain user information (\"{WithoutUserInfo(value)}\"): credentials belong in the provider's own settings, not in a URL that is logged.");
            return null;
        }

        return uri;
    }

    /// <summary>Returns a URL with any user information replaced by "***", for messages.</summary>
    public static string WithoutUserInfo(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        int start = scheme < 0 ? 0 : scheme + 3;
        int end = url.IndexOfAny(['/', '?', '#'], start);
        int at = url.LastIndexOf('@', end < 0 ? url.Length - 1 : end - 1);
        return at < start ? url : string.Concat(url.AsSpan(0, start), "***", url.AsSpan(at));
    }

    /// <summary>Reads host:port with an IP address (IPv6 in brackets) and a port from 1 to 65535.</summary>
    public string? Endpoint(YamlNode node, string keyPath)
    {
        string? value = String(node, keyPath);
        if (value is null)
        {
            return null;
        }

        if (!IPEndPoint.TryParse(value, out IPEndPoint? endpoint) || endpoint.Port == 0 || !value.Contains(':', StringComparison.Ordinal)
            || (endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !value.StartsWith('[')))
        {
            Error(node, keyPath, $"must be an IP address and port such as 127.0.0.1:8471 or [::1]:8471, not \"{value}\".");
            return null;
        }

        return value;
    }

    public IReadOnlyList<string>? StringList(YamlNode node, string keyPath)
    {
        if (IsNull(node))
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(node, keyPath, "must be a list, such as [web, worker].");
            return null;
        }

        var values = new List<string>(sequence.Children.Count);
        bool valid = true;
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            string? item = String(sequence.Children[i], $"{keyPath}[{i}]");
            if (item is null)
            {
                valid = false;
                continue;
            }

            values.Add(item);
        }

        return valid ? values : null;
    }

    /// <summary>Reads a mapping of plain names to single values, such as container labels.</summary>
    public IReadOnlyDictionary<string, string>? StringMap(YamlNode node, string keyPath, long line)
    {
        ConfigMapping? mapping = Mapping(node, keyPath, line, accepted: null);
        if (mapping is null)
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        bool valid = true;
        foreach ((string key, _, YamlNode value) in mapping.Entries)
        {
            // A quoted empty label value ("") is a real value in Docker, so only a null value is rejected.
            if (value is YamlScalarNode { Value: { } text } && !IsNull(value))
            {
                values[key] = text;
            }
            else
            {
                valid &= RawString(value, mapping.PathOf(key)) is not null;
            }
        }

        return valid ? values : null;
    }

    /// <summary>True for an empty plain value, ~ or null, which YAML reads as null.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private string? RawString(YamlNode node, string keyPath)
    {
        if (node is not YamlScalarNode scalar)
        {
            Error(node, keyPath, "must be a single value, not a list or mapping.");
            return null;
        }

        if (IsNull(node) || scalar.Value is null || scalar.Value.Length == 0)
        {
            Error(node, keyPath, "is empty; give it a value or remove the key.");
            return null;
        }

        return scalar.Value;
    }
}
