using Dso.Compose.References;

namespace Dso.Compose.Model;

/// <summary>What dso needs to know of a compose project: where it is, what it is called and which secrets each service uses.</summary>
internal sealed record ComposeProject
{
    /// <summary>The project name as Compose will compute it (normalised to lower case letters, digits, '-' and '_').</summary>
    public required string Name { get; init; }

    /// <summary>The project directory, against which Compose resolves relative paths and finds .env.</summary>
    public required string Directory { get; init; }

    /// <summary>The compose files in the order Compose merges them, as absolute paths.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>The top-level version key of the first file that has one; a file merged with it must declare the same.</summary>
    public string? Version { get; init; }

    public required IReadOnlyList<ServiceSecrets> Services { get; init; }

    public IEnumerable<SecretUse> AllUses => Services.SelectMany(service => service.Uses);
}

/// <summary>The secrets one service uses, with the user its container runs as (for file ownership).</summary>
internal sealed record ServiceSecrets(string Service, string? User, string? Image, IReadOnlyList<SecretUse> Uses);

/// <summary>One environment variable of a service whose value is a secret reference, with where it was written.</summary>
internal sealed record SecretUse(string Service, string Variable, SecretReference Reference, string SourceFile, int Line)
{
    public string Location => $"{SourceFile}:{Line} (service \"{Service}\", variable {Variable})";
}
