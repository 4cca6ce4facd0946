using Dso.Core.IO;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>The owner (always root) and group of a file or directory that setup creates.</summary>
internal sealed record Ownership(string GroupName)
{
    public static Ownership Root { get; } = new("root");

    public override string ToString() => $"root:{GroupName}";

    /// <summary>Sets root as the owner and the group, which must exist by now.</summary>
    public void Apply(string path)
    {
        int gid = GroupName == "root" ? 0 : SystemGroups.FindId(GroupName) ?? throw new IOException($"The group {GroupName} does not exist, so {path} cannot be given to it.");
        Libc.Chown(path, 0, gid);
    }

    /// <summary>Describes how an existing path differs from the expected mode and owner, or returns null when it matches.</summary>
    public string? FindMismatch(string path, FileStatus status, UnixFileMode expectedMode)
    {
        int? gid = GroupName == "root" ? 0 : SystemGroups.FindId(GroupName);
        bool modeMatches = status.Mode == expectedMode;
        bool ownerMatches = status.Uid == 0 && gid is { } expectedGid && status.Gid == expectedGid;
        if (modeMatches && ownerMatches)
        {
            return null;
        }

        return $"{path} has mode {FormatMode(status.Mode)} and owner {status.Uid}:{status.Gid}, but agent mode expects {FormatMode(expectedMode)} {this}. " +
            $"It was kept as it is; to fix it: chmod {FormatMode(expectedMode)} {path} && chown {this} {path}";
    }

    public static string FormatMode(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
