namespace Dso.Cli.Terminal;

/// <summary>Shortens paths for messages: a path inside the working directory is shown relative to it.</summary>
internal static class DisplayPaths
{
    public static string Relative(string workingDirectory, string path)
    {
        string relative = Path.GetRelativePath(workingDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    /// <summary>Shortens the path at the start of a "PATH:LINE (detail)" location.</summary>
    public static string RelativeLocation(string workingDirectory, string location)
    {
        int end = location.IndexOf(':', StringComparison.Ordinal);
        if (end < 0)
        {
            return Path.IsPathRooted(location) ? Relative(workingDirectory, location) : location;
        }

        return end > 0 && Path.IsPathRooted(location[..end]) ? Relative(workingDirectory, location[..end]) + location[end..] : location;
    }
}
