using System.Globalization;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>Looks up and manages Unix groups with getent, groupadd and groupdel, so that NSS sources and /etc/group locking are respected.</summary>
internal static class SystemGroups
{
    /// <summary>getent's exit code for a key that was not found.</summary>
    private const int NotFound = 2;

    /// <summary>Returns the group's id, or null when no such group exists.</summary>
    public static int? FindId(string name)
    {
        ExternalCommandResult result = ExternalCommand.Run("getent", "group", name);
        if (result.ExitCode == NotFound)
        {
            return null;
        }

        if (result.ExitCode != 0)
        {
            throw new IOException($"'{result.CommandLine}' failed with exit code {result.ExitCode}: {result.StandardError.Trim()}");
        }

        // name:password:gid:members
        string[] fields = result.StandardOutput.Trim().Split(':');
        return fields.Length >= 3 && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out int gid)
            ? gid
            : throw new IOException($"'{result.CommandLine}' printed an entry that is not name:password:gid:members.");
    }

    public static void CreateSystemGroup(string name) => ExternalCommand.RunChecked("groupadd", "--system", name);

    public static void Delete(string name) => ExternalCommand.RunChecked("groupdel", name);

    /// <summary>True for a name groupadd accepts without a warning: lower-case letters, digits, '_' and '-', starting with a letter or '_'.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 32
        && (char.IsAsciiLetterLower(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-');
}
