using Docker.DotNet.Models;

namespace Dso.Docker.Engine;

/// <summary>
/// Generic collections over value types that Docker.DotNet's models use. Newtonsoft.Json creates and fills them
/// through reflection, and Native AOT can do that only for instantiations that the compiled code contains.
/// Without this class, the published dso failed with "missing native code" on a container that exposes a port.
/// </summary>
internal static class AotGenericRoots
{
    private static int _rooted;

    /// <summary>Makes sure the compiler emits every such instantiation, with the members the deserializer calls.</summary>
    public static void Keep()
    {
        if (Interlocked.Exchange(ref _rooted, 1) == 1)
        {
            return;
        }

        var ports = new Dictionary<string, EmptyStruct> { ["80/tcp"] = default };
        var flags = new Dictionary<string, bool> { ["x"] = true };
        var counters = new Dictionary<string, ulong> { ["x"] = 1 };
        var bytes = new List<byte> { 1 };
        var numbers = new List<ulong> { 1 };
        ulong[] sizes = [1];
        ServiceCreationMode[] modes = [default];
        GC.KeepAlive((ports, flags, counters, bytes, numbers, sizes, modes));
    }
}
