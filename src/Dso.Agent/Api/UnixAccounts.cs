using System.Runtime.InteropServices;

namespace Dso.Agent.Api;

/// <summary>
/// Lookups in the user and group database through libc (getpwuid_r, getgrnam_r, getgrouplist), so that every
/// NSS source configured in /etc/nsswitch.conf counts, not only /etc/passwd and /etc/group.
/// </summary>
internal static partial class UnixAccounts
{
    /// <summary>errno when the buffer passed to a *_r lookup is too small.</summary>
    private const int RangeError = 34;

    private const int InitialBufferSize = 1024;

    /// <summary>Maximum lookup buffer size. A larger entry is reported as an error instead of growing the buffer without end.</summary>
    private const int MaxBufferSize = 1024 * 1024;

    /// <summary>Returns the id of the group named <paramref name="name"/>, or null when no such group exists.</summary>
    public static uint? FindGroupId(string name)
    {
        for (int size = InitialBufferSize; size <= MaxBufferSize; size *= 2)
        {
            byte[] buffer = new byte[size];
            int error = getgrnam_r(name, out GroupEntry entry, buffer, (nuint)buffer.Length, out nint result);
            if (error == RangeError)
            {
                continue;
            }

            if (error != 0)
            {
                throw new IOException($"Failed to look up the group '{name}' (getgrnam_r): {Marshal.GetPInvokeErrorMessage(error)}.");
            }

            return result == 0 ? null : entry.Gid;
        }

        throw new IOException($"The entry of the group '{name}' is larger than {MaxBufferSize} bytes.");
    }

    /// <summary>Returns the name and primary group of the user with id <paramref name="uid"/>, or null when no such user exists.</summary>
    public static (string Name, uint PrimaryGroupId)? FindUser(uint uid)
    {
        for (int size = InitialBufferSize; size <= MaxBufferSize; size *= 2)
        {
            byte[] buffer = new byte[size];
            int error = getpwuid_r(uid, out PasswdEntry entry, buffer, (nuint)buffer.Length, out nint result);
            if (error == RangeError)
            {
                continue;
            }

            if (error != 0)
            {
                throw new IOException($"Failed to look up the user with uid {uid} (getpwuid_r): {Marshal.GetPInvokeErrorMessage(error)}.");
            }

            return result == 0 ? null : (Marshal.PtrToStringUTF8(entry.Name) ?? string.Empty, entry.Gid);
        }

        throw new IOException($"The entry of the user with uid {uid} is larger than {MaxBufferSize} bytes.");
    }

    /// <summary>Returns every group the user belongs to: <paramref name="primaryGroupId"/> and the supplementary groups.</summary>
    public static uint[] GroupsOf(string userName, uint primaryGroupId)
    {
        int count = 32;
        while (true)
        {
            uint[] groups = new uint[count];
            int capacity = groups.Length;
            if (getgrouplist(userName, primaryGroupId, groups, ref count) >= 0)
            {
                return groups[..count];
            }

            // getgrouplist returns -1 and sets count to the number of groups it needs when the array is too small.
            if (count <= capacity)
            {
                throw new IOException($"Failed to list the groups of the user '{userName}' (getgrouplist).");
            }
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int getgrnam_r(string name, out GroupEntry entry, byte[] buffer, nuint bufferLength, out nint result);

    [LibraryImport("libc")]
    private static partial int getpwuid_r(uint uid, out PasswdEntry entry, byte[] buffer, nuint bufferLength, out nint result);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int getgrouplist(string user, uint group, [In, Out] uint[] groups, ref int count);

    /// <summary>struct group (grp.h), whose pointers point into the caller's buffer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct GroupEntry
    {
        public nint Name;
        public nint Password;
        public uint Gid;
        public nint Members;
    }

    /// <summary>struct passwd (pwd.h), whose pointers point into the caller's buffer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PasswdEntry
    {
        public nint Name;
        public nint Password;
        public uint Uid;
        public uint Gid;
        public nint Gecos;
        public nint Directory;
        public nint Shell;
    }
}
