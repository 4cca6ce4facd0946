using System.Security.Cryptography;

namespace Dso.Core.IO;

/// <summary>Crash-safe replacement of a file: temp file in the same directory, fsync, rename, fsync of the directory.</summary>
internal static class AtomicFile
{
    /// <summary>Prefix of the temp files, so that a later writer can remove those a killed writer left.</summary>
    public const string TempPrefix = ".dso-tmp-";

    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string tempPath = Path.Combine(directory, $"{TempPrefix}{Path.GetFileName(path)}.{Environment.ProcessId}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");

        try
        {
            using (var stream = new FileStream(tempPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = mode,
            }))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, path, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }

        Libc.FsyncDirectory(directory);
    }

    /// <summary>Removes temp files that writers killed mid-write left next to <paramref name="path"/>.</summary>
    public static void RemoveLeftovers(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        foreach (string leftover in Directory.EnumerateFiles(directory, $"{TempPrefix}{Path.GetFileName(path)}.*"))
        {
            TryDelete(leftover);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
