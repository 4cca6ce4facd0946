using Dso.Agent.Configuration;
using Dso.Core;

namespace Dso.Agent.Tests.Configuration;

public sealed class AgentConfigDiscoveryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dso-discovery-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Find_EtcFileAndWorkingDirectoryFile_PrefersEtc()
    {
        AgentPaths paths = Paths();
        string etcFile = Write(paths.ConfigPath);
        string workingDirectory = Directory.CreateDirectory(Path.Combine(_root, "project")).FullName;
        Write(Path.Combine(workingDirectory, "dso.yaml"));

        AgentConfigLocation location = AgentConfigDiscovery.Find(null, _ => null, paths, workingDirectory);

        Assert.Equal(etcFile, location.Path);
        Assert.Null(location.Warning);
    }

    [Fact]
    public void Find_OnlyWorkingDirectoryFile_WarnsNotRecommended()
    {
        AgentPaths paths = Paths();
        string workingDirectory = Directory.CreateDirectory(Path.Combine(_root, "project")).FullName;
        string local = Write(Path.Combine(workingDirectory, "dso.yaml"));

        AgentConfigLocation location = AgentConfigDiscovery.Find(null, _ => null, paths, workingDirectory);

        Assert.Equal(local, location.Path);
        Assert.Contains("not recommended", location.Warning, StringComparison.Ordinal);
        Assert.Contains(paths.ConfigPath, location.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_OptionAndEnvironment_OverrideDiscovery()
    {
        AgentPaths paths = Paths();
        Write(paths.ConfigPath);
        string fromEnvironment = Write(Path.Combine(_root, "env.yaml"));
        string fromOption = Write(Path.Combine(_root, "option.yaml"));
        Func<string, string?> environment = name => name == "DSO_CONFIG" ? fromEnvironment : null;

        AgentConfigLocation withEnvironment = AgentConfigDiscovery.Find(null, environment, paths, _root);
        AgentConfigLocation withBoth = AgentConfigDiscovery.Find("option.yaml", environment, paths, _root);

        Assert.Equal(fromEnvironment, withEnvironment.Path);
        Assert.Equal("DSO_CONFIG", withEnvironment.Source);
        Assert.Equal(fromOption, withBoth.Path);
        Assert.Equal("--config", withBoth.Source);
    }

    [Fact]
    public void Find_ExplicitFileMissing_FailsNamingIt()
    {
        string missing = Path.Combine(_root, "missing.yaml");

        var exception = Assert.Throws<DsoException>(() => AgentConfigDiscovery.Find(missing, _ => null, Paths(), _root));

        Assert.Equal($"The config file {missing} (from --config) was not found.", exception.Message);
    }

    [Fact]
    public void Find_NothingFound_FailsNamingPlacesAndBootstrap()
    {
        AgentPaths paths = Paths();

        var exception = Assert.Throws<DsoException>(() => AgentConfigDiscovery.Find(null, _ => null, paths, _root));

        Assert.Contains(paths.ConfigPath, exception.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_root, "dso.yaml"), exception.Message, StringComparison.Ordinal);
        Assert.Contains("dso bootstrap agent", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_EnvironmentOverConfigOverDefault()
    {
        var settings = AgentSettings.Default with { StateDirectory = "/srv/dso/state", LockDirectory = "/srv/dso/locks" };
        Func<string, string?> environment = name => name switch
        {
            "DSO_STATE_DIR" => "/tmp/x/state/",
            "DSO_ETC_DIR" => "/tmp/x/etc",
            "DSO_GROUP" => "dsotest",
            _ => null,
        };

        AgentPaths paths = AgentPaths.Resolve(environment, settings);
        AgentPaths defaults = AgentPaths.Resolve(_ => null);

        Assert.Equal("/tmp/x/state", paths.StateDirectory);
        Assert.Equal("/srv/dso/locks", paths.LockDirectory);
        Assert.Equal("/tmp/x/etc/dso.yaml", paths.ConfigPath);
        Assert.Equal("dsotest", paths.Group);
        Assert.Equal("/etc/dso/dso.yaml", defaults.ConfigPath);
        Assert.Equal("/var/lib/dso/state", defaults.StateDirectory);
        Assert.Equal("/var/lib/dso/locks", defaults.LockDirectory);
        Assert.Equal("/run/dso/dso.sock", defaults.SocketPath);
        Assert.Equal("/etc/systemd/system/dso-agent.service", defaults.UnitPath);
        Assert.Equal("dso", defaults.Group);
    }

    private AgentPaths Paths() => AgentPaths.Resolve(name => name == "DSO_ETC_DIR" ? Path.Combine(_root, "etc", "dso") : null);

    private static string Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "mode: agent\n");
        return path;
    }
}
