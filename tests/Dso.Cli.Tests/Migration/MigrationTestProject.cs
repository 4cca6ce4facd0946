namespace Dso.Cli.Tests.Migration;

/// <summary>
/// A compose project folder inside a test home. Its name starts with "dsomig" and is unique, and Compose takes the
/// project name from the folder, so every container a test creates can be found and removed by that name.
/// </summary>
internal sealed class MigrationTestProject
{
    public MigrationTestProject(string parent)
    {
        Name = "dsomig" + Guid.NewGuid().ToString("N")[..10];
        Directory = System.IO.Directory.CreateDirectory(Path.Combine(parent, Name)).FullName;
    }

    public string Name { get; }

    public string Directory { get; }

    public string PathOf(string file) => Path.Combine(Directory, file);

    public MigrationTestProject Write(string file, string text)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(PathOf(file))!);
        File.WriteAllText(PathOf(file), text);
        return this;
    }

    public byte[] Read(string file) => File.ReadAllBytes(PathOf(file));
}
