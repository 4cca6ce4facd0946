using Dso.Compose.Model;
using Dso.Compose.References;

namespace Dso.Compose.Tests.Model;

/// <summary>
/// A temporary folder holding compose files, .env files and env_files, read with the real
/// <see cref="ComposeProjectLoader"/>. The process environment seen by the loader is <see cref="Environment"/>
/// alone, so variables of the test runner cannot leak into a test. The folder is removed on dispose.
/// </summary>
public sealed class ComposeTestDirectory : IDisposable
{
    public ComposeTestDirectory()
    {
        Root = Directory.CreateTempSubdirectory("dso-compose-test-").FullName;
    }

    public string Root { get; }

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Writes a file below <see cref="Root"/>, creating its folders, and returns its absolute path.</summary>
    public string Write(string relativePath, string text)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    /// <summary>Loads the project as dso up would, with <paramref name="arguments"/> as its command line.</summary>
    internal ComposeProject Load(params string[] arguments) => LoadFrom(Root, arguments);

    internal ComposeProject LoadFrom(string workingDirectory, params string[] arguments)
    {
        var loader = new ComposeProjectLoader(workingDirectory, name => Environment.GetValueOrDefault(name));
        return loader.Load(ComposeArguments.Parse(arguments));
    }

    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>Lookups on a loaded project, for short asserts.</summary>
internal static class ComposeProjectExtensions
{
    public static ServiceSecrets Service(this ComposeProject project, string name) =>
        project.Services.Single(service => service.Service == name);

    /// <summary>Returns the references of a service by variable name.</summary>
    public static Dictionary<string, SecretReference> ReferencesOf(this ComposeProject project, string service) =>
        project.Service(service).Uses.ToDictionary(use => use.Variable, use => use.Reference, StringComparer.Ordinal);

    public static SecretUse Use(this ComposeProject project, string service, string variable) =>
        project.Service(service).Uses.Single(use => use.Variable == variable);
}
