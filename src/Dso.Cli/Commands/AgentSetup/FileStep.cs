using Dso.Core;
using Dso.Core.IO;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>
/// A file created with fixed content, mode and owner. An existing file is never replaced: it is kept, with a
/// warning when its content differs from what this step would write.
/// </summary>
internal sealed class FileStep : SetupStep
{
    private readonly string _path;
    private readonly byte[]? _content;
    private readonly UnixFileMode _mode;
    private readonly Ownership _ownership;
    private readonly string _description;
    private readonly bool _compareExisting;
    private bool _created;

    /// <param name="content">The content to write, or null for a file that exists and is only kept.</param>
    /// <param name="compareExisting">Warn when an existing file's content differs (for generated files such as the unit).</param>
    public FileStep(string path, byte[]? content, UnixFileMode mode, Ownership ownership, string description, bool compareExisting)
    {
        _path = path;
        _content = content;
        _mode = mode;
        _ownership = ownership;
        _description = description;
        _compareExisting = compareExisting;
    }

    public override string Kind => "file";

    public override string Target => _path;

    public override StepPlan Inspect(ISet<string> plannedDirectories)
    {
        string detail = $"{_description}, {Ownership.FormatMode(_mode)} {_ownership}";
        FileStatus? status = FileStatus.Read(_path);
        if (status is null)
        {
            return _content is null
                ? throw new DsoException($"{_path} disappeared while 'dso bootstrap agent' was running. Run it again.")
                : StepPlan.Create(detail);
        }

        if (!status.Value.IsRegularFile)
        {
            throw new DsoException($"{_path} exists but is not a regular file. Move it aside and run 'dso bootstrap agent' again.");
        }

        var warnings = new List<string>();
        if (_compareExisting && _content is not null && !File.ReadAllBytes(_path).AsSpan().SequenceEqual(_content))
        {
            warnings.Add($"{_path} differs from the {_description} this dso would write, and was kept as it is. To replace it, move it aside and run 'dso bootstrap agent' again.");
        }

        if (_ownership.FindMismatch(_path, status.Value, _mode) is { } mismatch)
        {
            warnings.Add(mismatch);
        }

        return StepPlan.Keep(warnings.Count == 0 ? $"exists, {detail}" : "exists", [.. warnings]);
    }

    public override void Apply()
    {
        ArgumentNullException.ThrowIfNull(_content);
        using (var stream = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            _created = true;
            stream.Write(_content);
            stream.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(_path, _mode);
        _ownership.Apply(_path);
        Libc.FsyncDirectory(Path.GetDirectoryName(_path)!);
    }

    public override void Undo()
    {
        if (_created)
        {
            File.Delete(_path);
            _created = false;
        }
    }
}
