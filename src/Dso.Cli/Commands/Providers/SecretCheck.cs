using Dso.Agent.Configuration;

namespace Dso.Cli.Commands.Providers;

/// <summary>Whether one secret of dso.yaml could be read and its key selected, with the version read or the reason it failed.</summary>
internal sealed record SecretCheck(SecretConfig Secret, bool Readable, string? Version, string? Error);
