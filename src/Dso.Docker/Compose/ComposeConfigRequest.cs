namespace Dso.Docker.Compose;

/// <summary>The project options for a 'config' run: files, directory, name, env files and the profiles to activate.</summary>
internal sealed record ComposeConfigRequest(
    IReadOnlyList<string> Files,
    string ProjectDirectory,
    string ProjectName,
    IReadOnlyList<string> EnvFiles,
    IReadOnlyList<string> Profiles,
    string WorkingDirectory);
