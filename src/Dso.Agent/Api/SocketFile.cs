using System.Net.Sockets;
using System.Runtime.InteropServices;
using Dso.Core;
using Dso.Core.IO;
using Microsoft.Win32.SafeHandles;

namespace Dso.Agent.Api;

/// <summary>
/// The socket file's life around Kestrel's bind: the parent directory and a lock before it, the replacement of a
/// socket left by a dead agent, the mode and group after it, and the removal at stop.
/// </summary>
internal static partial class SocketFile
{
    /// <summary>0660: the owner (root) and the group may connect, because connecting to a unix socket needs write permission.</summary>
    public const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>0750 for a parent directory that dso creates.</summary>
    public const UnixFileMode DirectoryMode = FileModes.PrivateDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxTypeAndInode = 0x1 | 0x100;
    private const int TypeMask = 0xF000;
    private const int TypeSocket = 0xC000;
    private const int NoSuchFile = 2;
    private const int Interrupted = 4;
    private const int WouldBlock = 11;

    /// <summary>Creates the socket's parent directory when it is missing: 0750, with group <paramref name="groupId"/> when running as root.</summary>
    public static void EnsureDirectory(string path, uint? groupId)
    {
        string directory = Path.GetDirectoryName(path)!;
        if (Directory.Exists(directory))
        {
            return;
        }

        Directory.CreateDirectory(directory, DirectoryMode);
        if (Libc.geteuid() == 0 && groupId is { } gid)
        {
            Libc.Chown(directory, 0, (int)gid);
        }
    }

    /// <summary>
    /// Takes a non-blocking flock on PATH.lock, which the agent holds while it serves the socket, so that two agents
    /// starting at once cannot both replace the socket. Returns null when another process holds the lock.
    /// </summary>
    public static SafeFileHandle? TryLock(string path)
    {
        string lockPath = path + ".lock";
        SafeFileHandle handle = Libc.OpenLockFile(lockPath);
        while (Libc.flock(handle, Libc.LockExclusive | Libc.LockNonBlocking) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interrupted)
            {
                continue;
            }

            handle.Dispose();
            return errno == WouldBlock
                ? null
                : throw new IOException($"Failed to lock {lockPath}: {Marshal.GetPInvokeErrorMessage(errno)}.");
        }

        return handle;
    }

    /// <summary>
    /// Removes a socket file that no process listens on, left by an agent that died. Returns true when it removed one.
    /// </summary>
    /// <exception cref="DsoException">The path is not a socket, or another process accepts connections on it.</exception>
    public static async Task<bool> RemoveStaleAsync(string path, CancellationToken cancellationToken)
    {
        (bool exists, bool isSocket, _) = Stat(path);
        if (!exists)
        {
            return false;
        }

        if (!isSocket)
        {
            throw new DsoException($"The agent's socket path {path} exists and is not a unix socket. Move that file away, or set agent.socket in dso.yaml (or DSO_SOCKET) to another path.");
        }

        if (await IsAcceptingAsync(path, cancellationToken))
        {
            throw new DsoException($"Another process, probably a running dso agent, accepts connections on {path}. Stop it first ('systemctl stop dso-agent'), or set agent.socket in dso.yaml (or DSO_SOCKET) to another path.");
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Sets the bound socket to 0660 with group <paramref name="groupId"/>, or with the caller's group when it is null.</summary>
    public static void Secure(string path, uint? groupId)
    {
        File.SetUnixFileMode(path, SocketMode);
        if (groupId is { } gid)
        {
            // An owner of -1 leaves the owner unchanged.
            Libc.Chown(path, -1, (int)gid);
        }
    }

    /// <summary>
    /// Deletes the socket file if it is still there. .NET itself unlinks a bound unix socket's path when the socket
    /// is disposed, so this covers a listener that did not get that far.
    /// </summary>
    public static void Remove(string path)
    {
        if (Stat(path) is { Exists: true, IsSocket: true })
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads the file type and inode number without following a final symlink.</summary>
    public static (bool Exists, bool IsSocket, ulong Inode) Stat(string path)
    {
        if (statx(AtCurrentDirectory, path, AtSymlinkNoFollow, StatxTypeAndInode, out Statx buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == NoSuchFile
                ? (false, false, 0UL)
                : throw new IOException($"Failed to read the status of {path}: {Marshal.GetPInvokeErrorMessage(errno)}.");
        }

        return (true, (buffer.Mode & TypeMask) == TypeSocket, buffer.Inode);
    }

    private static async Task<bool> IsAcceptingAsync(string path, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token);
            return true;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A listener whose backlog is full does not complete the connect, but it is alive.
            return true;
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int directoryFd, string path, int flags, uint mask, out Statx buffer);

    /// <summary>The start of struct statx (linux/stat.h), which is the same on every architecture and 256 bytes in all.</summary>
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
        public ushort Spare;
        public ulong Inode;
    }
}
