using System.Runtime.InteropServices;

namespace Dso.Core.IO;

/// <summary>Type, permission bits and owner of a path, read with statx without following a final symlink.</summary>
internal readonly partial record struct FileStatus(bool IsDirectory, bool IsRegularFile, UnixFileMode Mode, uint Uid, uint Gid)
{
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int TypeMask = 0xF000;
    private const int TypeDirectory = 0x4000;
    private const int TypeRegular = 0x8000;
    private const int NoSuchFile = 2;

    /// <summary>Returns the status of <paramref name="path"/>, or null when nothing exists there.</summary>
    public static FileStatus? Read(string path)
    {
        if (statx(AtCurrentDirectory, path, AtSymlinkNoFollow, StatxBasicStats, out Statx buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == NoSuchFile
                ? null
                : throw new IOException($"Failed to read the status of {path}: {Marshal.GetPInvokeErrorMessage(errno)}.");
        }

        int type = buffer.Mode & TypeMask;
        return new FileStatus(type == TypeDirectory, type == TypeRegular, (UnixFileMode)(buffer.Mode & 0xFFF), buffer.Uid, buffer.Gid);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int directoryFd, string path, int flags, uint mask, out Statx buffer);

    /// <summary>The start of struct statx (linux/stat.h), which has the same layout on every architecture; 256 bytes in all.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct Statx
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint LinkCount;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
    }
}
