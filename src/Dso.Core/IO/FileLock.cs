namespace Dso.Core.IO;

/// <summary>
/// An exclusive advisory lock (flock) on a lock file, held until disposed. The kernel releases it when the
/// process dies, so a killed writer never leaves the lock behind.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream)
    {
        _stream = stream;
    }

    public static FileLock AcquireExclusive(string lockPath)
    {
        var stream = new FileStream(lockPath, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        try
        {
            while (Libc.flock(stream.SafeFileHandle, Libc.LockExclusive) != 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                const int Interrupted = 4;
                if (errno != Interrupted)
                {
                    throw new IOException($"Failed to lock {lockPath}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}.");
                }
            }

            return new FileLock(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _ = Libc.flock(_stream.SafeFileHandle, Libc.LockUnlock);
        _stream.Dispose();
    }
}
