namespace Dso.Cli.Commands.AgentSetup;

/// <summary>What a setup step will do on this machine, as found before anything changes.</summary>
internal enum StepAction
{
    /// <summary>The thing is missing and will be created.</summary>
    Create,

    /// <summary>The thing exists and is left as it is.</summary>
    Keep,

    /// <summary>The step does not apply here (for example, systemd is not running).</summary>
    Skip,
}
