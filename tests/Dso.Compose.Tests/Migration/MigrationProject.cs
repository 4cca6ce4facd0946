using Dso.Compose.Migration;
using Dso.Compose.Model;
using Dso.Compose.Source;

namespace Dso.Compose.Tests.Migration;

/// <summary>A compose project in a temporary folder, read and planned with a fixed process environment.</summary>
internal sealed class MigrationProject : IDisposable
{
    public MigrationProject()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("dso-migration-").FullName;
    }

    public string Directory { get; }

    /// <summary>The process environment given to the reader, empty unless a test adds to it.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public string PathOf(string name) => Path.Combine(Directory, name);

    public MigrationProject Write(string name, string text)
    {
        string path = PathOf(name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    public ComposeSource Read(params string[] files)
    {
        var arguments = ComposeArguments.Parse([.. files.SelectMany(file => new[] { "-f", file })]);
        ComposeLayout layout = new ComposeProjectLoader(Directory, name => Environment.GetValueOrDefault(name)).ResolveLayout(arguments);
        return ComposeSourceReader.Read(layout);
    }

    public MigrationPlan Plan(MigrationOptions? options = null, params string[] files) =>
        MigrationPlanner.Plan(Read(files), options ?? new MigrationOptions { Project = "shop" });

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
