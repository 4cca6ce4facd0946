using System.Buffers.Binary;
using System.Net.Sockets;

namespace Dso.Agent.Api;

/// <summary>The process at the other end of a unix socket connection, as the kernel recorded it when that process connected.</summary>
internal readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    /// <summary>SOL_SOCKET and SO_PEERCRED on Linux (asm-generic/socket.h).</summary>
    private const int SocketLevel = 1;
    private const int PeerCredentialsOption = 17;

    /// <summary>sizeof(struct ucred): pid_t pid, uid_t uid, gid_t gid, each 32 bits.</summary>
    private const int UcredSize = 12;

    /// <summary>Reads SO_PEERCRED from a connected unix socket.</summary>
    public static PeerCredentials Read(Socket socket)
    {
        Span<byte> buffer = stackalloc byte[UcredSize];
        int length = socket.GetRawSocketOption(SocketLevel, PeerCredentialsOption, buffer);
        if (length != UcredSize)
        {
            throw new IOException($"SO_PEERCRED returned {length} bytes instead of {UcredSize}.");
        }

        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(buffer),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer[8..]));
    }
}
