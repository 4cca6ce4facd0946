namespace Dso.Cli.Tests.Infrastructure;

/// <summary>
/// Finds files on the host whose bytes contain a string, to prove that a secret value never reached a disk file.
/// It runs find and grep, which skip sockets, devices and FIFOs, stay on each root's filesystem and read files of
/// up to <see cref="MaxFileSizeKibibytes"/> KiB, so a large Docker data root stays quick to scan.
/// </summary>
public static class FileContentScanner
{
    public const int MaxFileSizeKibibytes = 64 * 1024;

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    // The text comes through the environment so that it appears in no command line. xargs exits 123 when some grep
    // found nothing, which is the usual case. Any other non-zero code means that find, xargs or grep failed.
    private const string Script = """
        find "$@" -xdev -type f -size -$((DSO_SCAN_MAX_KIB + 1))k -print0 2>/dev/null \
          | xargs -0 -r grep -l -Z -F --binary-files=text --no-messages -e "$DSO_SCAN_TEXT" --
        """;

    /// <summary>Returns the paths of regular files below <paramref name="roots"/> that contain <paramref name="text"/>.</summary>
    public static async Task<IReadOnlyList<string>> FindFilesContainingAsync(string text, IEnumerable<string> roots)
    {
        List<string> existingRoots = roots.Select(Path.TrimEndingDirectorySeparator).Where(Directory.Exists).Distinct(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(existingRoots);

        ProcessResult result = await ExternalProcess.RunAsync(
            "sh",
            ["-c", Script, "scan", .. existingRoots],
            Timeout,
            new Dictionary<string, string>
            {
                ["DSO_SCAN_TEXT"] = text,
                ["DSO_SCAN_MAX_KIB"] = MaxFileSizeKibibytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        Assert.True(result.ExitCode is 0 or 123, $"The file scan of {string.Join(", ", existingRoots)} failed: {result}");

        return result.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }
}
