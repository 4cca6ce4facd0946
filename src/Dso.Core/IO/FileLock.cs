namespace Dso.Core.IO;

/// <summary>
/// An exclusive advisory lock (flock) on a lock file, held until disposed. The kernel releases it when the
/// process dies, so a killed writer never leaves the lock behind.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;

    private FileLock(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        _handle = handle;
    }

    public static FileLock AcquireExclusive(string lockPath)
    {
        var handle = Libc.OpenLockFile(lockPath);
        try
        {
            while (Libc.flock(handle, Libc.LockExclusive) != 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                const int Interrupted = 4;
                if (errno != Interrupted)
                {
                    throw new IOException($"Failed to lock {lockPath}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}.");
                }
            }

            return new FileLock(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _ = Libc.flock(_handle, Libc.LockUnlock);
        _handle.Dispose();
    }
}
