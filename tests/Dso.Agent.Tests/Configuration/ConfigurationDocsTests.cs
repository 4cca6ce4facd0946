using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dso.Agent.Configuration;
using Json.Schema;
using YamlDotNet.RepresentationModel;

namespace Dso.Agent.Tests.Configuration;

/// <summary>
/// Holds docs/configuration.md and docs/dso.schema.json to the loader: the same keys in all three, and the
/// schema accepts what the loader accepts and rejects what it rejects, for the cases a schema can express.
/// </summary>
public sealed partial class ConfigurationDocsTests
{
    private static readonly Dictionary<string, string> ExampleEnvironment = new()
    {
        ["VAULT_TOKEN"] = "t",
        ["VAULT_ROLE_ID"] = "r",
        ["VAULT_SECRET_ID"] = "s",
        ["AZURE_TENANT_ID"] = "tenant",
        ["AZURE_CLIENT_ID"] = "client",
        ["AZURE_CLIENT_SECRET"] = "secret",
    };

    [Fact]
    public void Schema_Keys_MatchLoader()
    {
        using JsonDocument schema = JsonDocument.Parse(File.ReadAllText(SchemaPath));

        var schemaKeys = new SortedSet<string>(StringComparer.Ordinal);
        CollectSchemaKeys(schema.RootElement, schema.RootElement, "", schemaKeys);

        AssertSameKeys(AgentConfigKeys.AllPaths(), schemaKeys, "docs/dso.schema.json");
    }

    [Fact]
    public void Schema_Header_IsDraft202012()
    {
        using JsonDocument schema = JsonDocument.Parse(File.ReadAllText(SchemaPath));

        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema.RootElement.GetProperty("$schema").GetString());
    }

    [Fact]
    public void Doc_ReferenceTables_MatchLoader()
    {
        string reference = Section(File.ReadAllText(DocPath), "## Reference");

        var docKeys = new SortedSet<string>(DocKeyPattern().Matches(reference).Select(match => match.Groups[1].Value), StringComparer.Ordinal);

        AssertSameKeys(AgentConfigKeys.AllPaths(), docKeys, "docs/configuration.md");
    }

    [Fact]
    public void Doc_CompleteExample_UsesEveryKeyAndLoads()
    {
        string example = CompleteExample();

        AgentConfig config = AgentConfigLoader.Parse("/etc/dso/dso.yaml", example, new AgentConfigLoadOptions { Environment = ExampleEnvironment.GetValueOrDefault });

        var exampleKeys = new SortedSet<string>(StringComparer.Ordinal);
        CollectYamlKeys(LoadYaml(example), "", exampleKeys);
        AssertSameKeys(AgentConfigKeys.AllPaths(), exampleKeys, "the complete example of docs/configuration.md");
        Assert.Equal(6, config.Providers.Count);
        Assert.Equal(3, config.Secrets.Count);
    }

    [Fact]
    public void Schema_CompleteExampleAndTemplates_AreValid()
    {
        JsonSchema schema = LoadSchema();
        var documents = new List<(string Name, string Yaml)> { ("complete example", CompleteExample()) };
        foreach (ProviderType type in Enum.GetValues<ProviderType>())
        {
            string template = AgentConfigTemplate.Render(type, AgentPaths.Resolve(_ => null));
            documents.Add(($"{type} template", template));
            documents.Add(($"{type} template with its example", AgentConfigTemplateTests.UncommentExample(template)));
        }

        foreach ((string name, string yaml) in documents)
        {
            EvaluationResults results = Evaluate(schema, yaml);

            Assert.True(results.IsValid, $"{name} fails the schema: {Describe(results)}");
        }
    }

    public static TheoryData<string> ConfigsBothReject => new()
    {
        "mode: local\nproviders:\n  main:\n    type: local\n    vault_path: /v\n",
        "mode: agent\nproviders: {}\n",
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /v\n  extra: 1\n",
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /v\nunknown: 1\n",
        "mode: agent\nproviders:\n  main:\n    vault_path: /v\n",
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /v\n    region: us-east-1\n",
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: relative\n",
        "mode: agent\nproviders:\n  v:\n    type: vault\n    address: https://v\n    auth:\n      method: token\n      token: t\n      role_id: r\n",
        "mode: agent\nproviders:\n  v:\n    type: vault\n    address: https://v\n    auth:\n      method: approle\n      role_id: r\n",
        "mode: agent\nproviders:\n  v:\n    type: vault\n    address: https://${HOST}\n    auth:\n      method: token\n      token: t\n",
        "mode: agent\nproviders:\n  v:\n    type: vault\n    address: https://v\n    tls_skip_verify: yes\n    auth:\n      method: token\n      token: t\n",
        "mode: agent\nproviders:\n  a:\n    type: aws\n    region: US-EAST-1\n",
        "mode: agent\nproviders:\n  z:\n    type: azure\n    vault_url: https://v.vault.azure.net/\n    managed_identity: true\n    client_secret: s\n",
        "mode: agent\nproviders:\n  z:\n    type: azure\n    vault_url: https://v.vault.azure.net/\n    tenant_id: t\n",
        Secret("    rotation:\n      strategy: blue-green\n"),
        Secret("    rotation:\n      signal: SIGHUP\n"),
        Secret("    rotation:\n      strategy: signal\n      signal: SIGKILL\n"),
        Secret("    rotation:\n      strategy: signal\n      health_timeout: 30s\n"),
        Secret("    rotation:\n      health_timeout: 5 minutes\n"),
        Secret("    rotation:\n      debounce: 30\n"),
        Secret("    rotation:\n      probe:\n        tcp: 80\n        http: /healthz\n"),
        Secret("    rotation:\n      probe:\n        http: /healthz\n"),
        Secret("    rotation:\n      probe:\n        tcp: 70000\n"),
        Secret("    inject:\n      as: env\n"),
        Secret("    inject:\n      as: env\n      env: DB\n      path: /run/x\n"),
        Secret("    inject:\n      mode: \"0044\"\n"),
        Secret("    inject:\n      mode: 0800\n"),
        Secret("    inject:\n      as: socket\n"),
        Secret("    inject:\n      path: relative\n"),
        Secret("    version: 2\n"),
        Secret("    key: password\n    key_path: [db, password]\n"),
        Secret("    key_path: []\n"),
        Secret("    key_path: db.password\n"),
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /v\nsecrets:\n  db:\n    provider: main\n    path: p\n",
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /v\nagent:\n  poll_interval: 30\n",
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /v\nagent:\n  api:\n    address: localhost:8471\n",
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /v\nagent:\n  state:\n    directory: state\n",
    };

    [Theory]
    [MemberData(nameof(ConfigsBothReject))]
    public void SchemaAndLoader_InvalidConfig_BothReject(string yaml)
    {
        JsonSchema schema = LoadSchema();

        EvaluationResults results = Evaluate(schema, yaml);
        Exception? loaderError = Record.Exception(() => AgentConfigLoader.Parse("/srv/dso.yaml", yaml, new AgentConfigLoadOptions { Environment = _ => null }));

        Assert.False(results.IsValid, "the schema accepts it");
        Assert.IsType<AgentConfigException>(loaderError);
    }

    private static string Secret(string extra) =>
        "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /v\nsecrets:\n  db:\n    provider: main\n    path: p\n    targets:\n      containers: [web]\n" + extra;

    private static void AssertSameKeys(IEnumerable<string> loaderKeys, IEnumerable<string> otherKeys, string other)
    {
        var expected = new SortedSet<string>(loaderKeys, StringComparer.Ordinal);
        var actual = new SortedSet<string>(otherKeys, StringComparer.Ordinal);

        Assert.True(expected.Except(actual).ToList() is [], $"{other} lacks keys the loader accepts: {string.Join(", ", expected.Except(actual))}");
        Assert.True(actual.Except(expected).ToList() is [], $"{other} has keys the loader rejects: {string.Join(", ", actual.Except(expected))}");
    }

    /// <summary>Collects the key paths a schema describes: properties, and named map entries from object-valued additionalProperties.</summary>
    private static void CollectSchemaKeys(JsonElement root, JsonElement schema, string path, SortedSet<string> keys)
    {
        schema = Resolve(root, schema);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (schema.TryGetProperty("properties", out JsonElement properties))
        {
            foreach (JsonProperty property in properties.EnumerateObject())
            {
                string child = Join(path, property.Name);
                keys.Add(child);
                CollectSchemaKeys(root, property.Value, child, keys);
            }
        }

        if (schema.TryGetProperty("additionalProperties", out JsonElement additional) && DescribesKeys(root, additional))
        {
            string child = Join(path, AgentConfigKeys.NamePlaceholder);
            keys.Add(child);
            CollectSchemaKeys(root, additional, child, keys);
        }

        foreach (string combinator in new[] { "allOf", "anyOf", "oneOf" })
        {
            if (schema.TryGetProperty(combinator, out JsonElement branches))
            {
                foreach (JsonElement branch in branches.EnumerateArray())
                {
                    CollectSchemaKeys(root, branch, path, keys);
                }
            }
        }

        foreach (string conditional in new[] { "then", "else" })
        {
            if (schema.TryGetProperty(conditional, out JsonElement branch))
            {
                CollectSchemaKeys(root, branch, path, keys);
            }
        }
    }

    private static bool DescribesKeys(JsonElement root, JsonElement schema)
    {
        schema = Resolve(root, schema);
        return schema.ValueKind == JsonValueKind.Object
            && (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("allOf", out _));
    }

    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        while (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out JsonElement reference))
        {
            string pointer = reference.GetString()!;
            Assert.StartsWith("#/$defs/", pointer, StringComparison.Ordinal);
            schema = root.GetProperty("$defs").GetProperty(pointer["#/$defs/".Length..]);
        }

        return schema;
    }

    /// <summary>Collects the key paths of a YAML document, with provider and secret names replaced by the placeholder.</summary>
    private static void CollectYamlKeys(YamlNode node, string path, SortedSet<string> keys)
    {
        if (node is not YamlMappingNode mapping || path.EndsWith(".labels", StringComparison.Ordinal))
        {
            return;
        }

        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            string key = path is "providers" or "secrets" ? AgentConfigKeys.NamePlaceholder : ((YamlScalarNode)keyNode).Value!;
            string child = Join(path, key);
            keys.Add(child);
            CollectYamlKeys(value, child, keys);
        }
    }

    private static EvaluationResults Evaluate(JsonSchema schema, string yaml)
    {
        using JsonDocument instance = JsonDocument.Parse(ToJson(LoadYaml(yaml))?.ToJsonString() ?? "null");
        return schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Describe(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(detail => detail.Errors is { Count: > 0 })
            .Select(detail => $"{detail.InstanceLocation}: {string.Join(", ", detail.Errors!.Values)}"));

    /// <summary>Converts YAML to JSON as YAML 1.2's core schema types plain scalars, the way YAML-aware editors do.</summary>
    private static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var jsonObject = new JsonObject();
                foreach ((YamlNode key, YamlNode value) in mapping.Children)
                {
                    jsonObject[((YamlScalarNode)key).Value!] = ToJson(value);
                }

                return jsonObject;
            case YamlSequenceNode sequence:
                return new JsonArray(sequence.Children.Select(ToJson).ToArray());
            case YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: var text }:
                if (text is null or "" or "~" or "null" or "Null" or "NULL")
                {
                    return null;
                }

                if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
                {
                    return JsonValue.Create(text.Equals("true", StringComparison.OrdinalIgnoreCase));
                }

                if (IntegerPattern().IsMatch(text))
                {
                    return JsonValue.Create(long.Parse(text, CultureInfo.InvariantCulture));
                }

                return JsonValue.Create(text);
            case YamlScalarNode scalar:
                return JsonValue.Create(scalar.Value);
            default:
                throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}.");
        }
    }

    private static YamlNode LoadYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents[0].RootNode;
    }

    private static JsonSchema LoadSchema() => JsonSchema.FromText(File.ReadAllText(SchemaPath));

    private static string CompleteExample()
    {
        string section = Section(File.ReadAllText(DocPath), "## Complete example");
        Match block = YamlBlockPattern().Match(section);
        Assert.True(block.Success, "the complete example has no ```yaml block");
        return block.Groups[1].Value;
    }

    /// <summary>The text from a heading to the next heading of the same level.</summary>
    private static string Section(string markdown, string heading)
    {
        int start = markdown.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/configuration.md has no heading {heading}");
        int end = markdown.IndexOf("\n## ", start + heading.Length + 1, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string DocPath => Path.Combine(RepositoryRoot, "docs", "configuration.md");

    private static string SchemaPath => Path.Combine(RepositoryRoot, "docs", "dso.schema.json");

    private static string RepositoryRoot
    {
        get
        {
            for (string? directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
            {
                if (File.Exists(Path.Combine(directory, "Dso.sln")))
                {
                    return directory;
                }
            }

            throw new InvalidOperationException($"No Dso.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>The first cell of a reference table row: a key path in backticks.</summary>
    [GeneratedRegex(@"^\| `([^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex DocKeyPattern();

    [GeneratedRegex(@"```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlockPattern();

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();
}
