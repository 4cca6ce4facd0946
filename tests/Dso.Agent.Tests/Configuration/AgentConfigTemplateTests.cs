using Dso.Agent.Configuration;

namespace Dso.Agent.Tests.Configuration;

public sealed class AgentConfigTemplateTests
{
    public static TheoryData<string> ProviderTypes => new(AgentConfigKeys.ProviderTypes);

    [Theory]
    [MemberData(nameof(ProviderTypes))]
    public void Render_WithCredentialsSet_LoadsCleanly(string typeName)
    {
        ProviderType type = TypeOf(typeName);
        string template = AgentConfigTemplate.Render(type, DefaultPaths);
        var environment = AgentConfigTemplate.CredentialVariables(type).ToDictionary(name => name, name => $"value-of-{name}");

        AgentConfig config = AgentConfigLoader.Parse("/etc/dso/dso.yaml", template, Options(environment));

        Assert.Equal(type, config.Providers[AgentConfigTemplate.ProviderName].Type);
        Assert.Empty(config.Secrets);
        Assert.Equal(AgentSettings.Default, config.Agent);
    }

    [Theory]
    [MemberData(nameof(ProviderTypes))]
    public void Render_WithoutCredentials_FailsNamingEachVariable(string typeName)
    {
        ProviderType type = TypeOf(typeName);
        string template = AgentConfigTemplate.Render(type, DefaultPaths);
        IReadOnlyList<string> variables = AgentConfigTemplate.CredentialVariables(type);

        Exception? exception = Record.Exception(() => AgentConfigLoader.Parse("/etc/dso/dso.yaml", template, Options([])));

        if (variables.Count == 0)
        {
            Assert.Null(exception);
            return;
        }

        var configException = Assert.IsType<AgentConfigException>(exception);
        Assert.Equal(variables.Count, configException.Errors.Count);
        foreach (string variable in variables)
        {
            Assert.Contains(configException.Errors, error => error.Contains($"refers to the environment variable {variable}, which is not set", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(ProviderTypes))]
    public void Render_ExampleSecretUncommented_LoadsCleanly(string typeName)
    {
        ProviderType type = TypeOf(typeName);
        string template = AgentConfigTemplate.Render(type, DefaultPaths);
        var environment = AgentConfigTemplate.CredentialVariables(type).ToDictionary(name => name, name => "x");

        AgentConfig config = AgentConfigLoader.Parse("/etc/dso/dso.yaml", UncommentExample(template), Options(environment));

        SecretConfig secret = config.Secrets["db_password"];
        Assert.Equal(AgentConfigTemplate.ProviderName, secret.Provider);
        Assert.Equal(RotationStrategy.Rolling, secret.Rotation.Strategy);
        Assert.Equal(new ComposeTarget { Project = "myapp", Service = "db" }, secret.Targets.Compose);
    }

    [Fact]
    public void Render_OverriddenPaths_AreWrittenIntoAgentSection()
    {
        var paths = AgentPaths.Resolve(name => name switch
        {
            "DSO_STATE_DIR" => "/tmp/root with space/state",
            "DSO_LOCK_DIR" => "/tmp/root/locks",
            "DSO_SOCKET" => "/tmp/root/dso.sock",
            _ => null,
        });

        AgentConfig config = AgentConfigLoader.Parse("/tmp/root/dso.yaml", AgentConfigTemplate.Render(ProviderType.Local, paths), Options([]));

        Assert.Equal("/tmp/root with space/state", config.Agent.StateDirectory);
        Assert.Equal("/tmp/root/locks", config.Agent.LockDirectory);
        Assert.Equal("/tmp/root/dso.sock", config.Agent.SocketPath);
        Assert.Equal("/tmp/root with space/vault.enc", Assert.IsType<LocalProviderConfig>(config.Providers["main"]).VaultPath);
    }

    /// <summary>Removes the "# " of every line of the example block under secrets:, as an operator would.</summary>
    internal static string UncommentExample(string template)
    {
        var lines = template.Split('\n').ToList();
        int start = lines.IndexOf(AgentConfigTemplate.ExampleMarker);
        Assert.True(start >= 0, "the template has no example marker");
        for (int i = start + 1; i < lines.Count && lines[i].StartsWith("  # ", StringComparison.Ordinal); i++)
        {
            lines[i] = "  " + lines[i]["  # ".Length..];
        }

        return string.Join('\n', lines);
    }

    private static ProviderType TypeOf(string name) => (ProviderType)AgentConfigKeys.ProviderTypes.ToList().IndexOf(name);

    private static AgentPaths DefaultPaths => AgentPaths.Resolve(_ => null);

    private static AgentConfigLoadOptions Options(Dictionary<string, string> environment) =>
        new() { Environment = environment.GetValueOrDefault };
}
