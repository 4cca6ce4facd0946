using System.Globalization;
using System.Text;
using Dso.Core;
using Dso.Core.IO;
using Microsoft.Win32.SafeHandles;

namespace Dso.Agent.Runtime;

/// <summary>
/// One agent per state directory: a flock on agent.lock, held for the agent's lifetime and holding its pid. Two
/// agents on one journal would rotate every change twice, whatever sockets they listen on.
/// </summary>
internal sealed class AgentInstanceLock : IDisposable
{
    public const string FileName = "agent.lock";

    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

    private readonly SafeFileHandle _handle;

    private AgentInstanceLock(SafeFileHandle handle) => _handle = handle;

    /// <exception cref="DsoException">Another agent holds the lock.</exception>
    public static AgentInstanceLock Acquire(string stateDirectory)
    {
        string path = Path.Combine(stateDirectory, FileName);
        SafeFileHandle handle = Libc.OpenLockFile(path);
        if (Libc.flock(handle, LockExclusive | LockNonBlocking) != 0)
        {
            handle.Dispose();
            string owner = ReadOwner(path);
            throw new DsoException($"Another dso agent{owner} already uses the state directory {stateDirectory} (it has the lock {path}). Stop that agent first, because two agents on one journal would rotate every change twice.");
        }

        // Written through the handle: a FileStream would close it, and with it the lock, when disposed.
        RandomAccess.SetLength(handle, 0);
        RandomAccess.Write(handle, Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"), 0);

        return new AgentInstanceLock(handle);
    }

    public void Dispose() => _handle.Dispose();

    private static string ReadOwner(string path)
    {
        try
        {
            string text = File.ReadAllText(path).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? $" (pid {pid})" : "";
        }
        catch (IOException)
        {
            return "";
        }
    }
}
