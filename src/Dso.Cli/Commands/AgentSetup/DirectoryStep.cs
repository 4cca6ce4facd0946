using Dso.Core;
using Dso.Core.IO;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>A directory with a fixed mode and owner. Missing parents are created too (0755 root:root) and undone with it.</summary>
internal sealed class DirectoryStep : SetupStep
{
    private const UnixFileMode ParentMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string _path;
    private readonly UnixFileMode _mode;
    private readonly Ownership _ownership;
    private readonly List<string> _created = [];

    public DirectoryStep(string path, UnixFileMode mode, Ownership ownership)
    {
        _path = path;
        _mode = mode;
        _ownership = ownership;
    }

    public override string Kind => "directory";

    public override string Target => _path;

    public override StepPlan Inspect(ISet<string> plannedDirectories)
    {
        string detail = $"{Ownership.FormatMode(_mode)} {_ownership}";
        FileStatus? status = FileStatus.Read(_path);
        if (status is null)
        {
            List<string> parents = MissingParents().Where(parent => !plannedDirectories.Contains(parent)).ToList();
            plannedDirectories.UnionWith(parents);
            plannedDirectories.Add(_path);
            string withParents = parents.Count switch
            {
                0 => "",
                1 => $", with its missing parent {parents[0]} (0755 root:root)",
                _ => $", with its missing parents {string.Join(", ", parents)} (0755 root:root)",
            };
            return StepPlan.Create(detail + withParents);
        }

        if (!status.Value.IsDirectory)
        {
            throw new DsoException($"{_path} exists but is not a directory. Move it aside and run 'dso bootstrap agent' again.");
        }

        return _ownership.FindMismatch(_path, status.Value, _mode) is { } mismatch
            ? StepPlan.Keep("exists", mismatch)
            : StepPlan.Keep($"exists, {detail}");
    }

    public override void Apply()
    {
        foreach (string parent in MissingParents())
        {
            CreateOne(parent, ParentMode, Ownership.Root);
        }

        CreateOne(_path, _mode, _ownership);
    }

    public override void Undo()
    {
        // Non-recursive: a directory that someone filled in the meantime makes the undo fail instead of deleting their files.
        for (int i = _created.Count - 1; i >= 0; i--)
        {
            Directory.Delete(_created[i], recursive: false);
            _created.RemoveAt(i);
        }
    }

    private void CreateOne(string path, UnixFileMode mode, Ownership ownership)
    {
        // Created with its final mode, so that it is never wider even for a moment. The umask may remove bits
        // from that mode, so it is set again explicitly.
        Directory.CreateDirectory(path, mode);
        _created.Add(path);
        File.SetUnixFileMode(path, mode);
        ownership.Apply(path);
        Libc.FsyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>The missing ancestors of the directory, outermost first.</summary>
    private List<string> MissingParents()
    {
        var missing = new List<string>();
        for (string? parent = Path.GetDirectoryName(_path); parent is not null && FileStatus.Read(parent) is null; parent = Path.GetDirectoryName(parent))
        {
            missing.Insert(0, parent);
        }

        return missing;
    }
}
