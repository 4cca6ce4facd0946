using Dso.Core.Paths;
using Dso.Vault.Keys;
using Dso.Vault.Store;
using Dso.Cli.Config;
using Dso.Cli.Terminal;

namespace Dso.Cli;

/// <summary>What every command needs from its surroundings: paths, environment, output streams and the clock.</summary>
internal sealed class CliContext
{
    private LocalConfig? _config;

    public CliContext(Func<string, string?> environment, TextWriter output, TextWriter error, TimeProvider time, string? configOption = null)
    {
        ConfigOption = configOption;
        Environment = environment;
        Output = output;
        Error = error;
        Time = time;
        Paths = DsoPaths.FromEnvironment(environment);
    }

    public Func<string, string?> Environment { get; }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    public TimeProvider Time { get; }

    public DsoPaths Paths { get; }

    public string WorkingDirectory { get; } = Directory.GetCurrentDirectory();

    /// <summary>The value of the global --config option, if given.</summary>
    public string? ConfigOption { get; }

    public ConfigLocation ConfigLocation => ConfigDiscovery.Find(ConfigOption, Environment, Paths, WorkingDirectory);

    /// <summary>The local-mode config, loaded and validated on first use.</summary>
    public LocalConfig Config => _config ??= LocalConfig.Load(ConfigLocation);

    /// <summary>The secret-file root: DSO_RUNTIME_DIR, else secret_files.directory, else the first tmpfs candidate.</summary>
    public string SecretFileRoot =>
        Paths.RuntimeDirectoryOverride ?? Config.SecretFileDirectory ?? Paths.ResolveSecretFileRoot(Environment);

    public bool AllowDiskBackedSecretFiles =>
        Environment("DSO_ALLOW_DISK_SECRETS") == "1" || Config.AllowDiskBackedSecretFiles;

    public Func<string, string?> ComposeEnvironment =>
        name => name == "DSO_COMPOSE" ? Environment(name) ?? Config.ComposeCommand : Environment(name);

    public VaultStore OpenVault() =>
        new(Paths, () => new PassphraseKeySource(() => Passphrases.Read(Environment, "DSO_PASSPHRASE", $"Passphrase for {Paths.VaultPath}: ")), Time);

    public void Warn(string message) => Error.WriteLine($"dso: warning: {message}");

    public void Notice(string message) => Error.WriteLine($"dso: {message}");
}
