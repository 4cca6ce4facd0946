using Dso.Core.Paths;
using Dso.Vault.Keys;
using Dso.Vault.Store;
using Dso.Cli.Terminal;

namespace Dso.Cli;

/// <summary>What every command needs from its surroundings: paths, environment, output streams and the clock.</summary>
internal sealed class CliContext
{
    public CliContext(Func<string, string?> environment, TextWriter output, TextWriter error, TimeProvider time)
    {
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

    public VaultStore OpenVault() =>
        new(Paths, () => new PassphraseKeySource(() => Passphrases.Read(Environment, "DSO_PASSPHRASE", $"Passphrase for {Paths.VaultPath}: ")), Time);

    public void Warn(string message) => Error.WriteLine($"dso: warning: {message}");

    public void Notice(string message) => Error.WriteLine($"dso: {message}");
}
