using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Dso.Agent.Tests.Providers.Aws;

/// <summary>
/// Points the AWS SDK's instance metadata client at a <see cref="FakeInstanceMetadata"/> on 127.0.0.1 as soon as
/// this test assembly is loaded. AWSSDK.Core 4.1.1 reads AWS_EC2_METADATA_SERVICE_ENDPOINT the first time any
/// code needs the metadata address and keeps it for the rest of the process (seen in a test run: a later change
/// of the variable had no effect). Set any later, the instance-role tests would send their requests to the real
/// metadata address.
/// </summary>
internal static class LoopbackInstanceMetadata
{
    public const string AccessKey = "ASIADSOINSTANCE00007";
    public const string SecretKey = "instanceSecretKey/abcdefghijklmnopqrstuvwxyz0123";
    public const string SessionToken = "instanceSessionToken/0123456789abcdefghijklmnopqrstuv";

    /// <summary>The one metadata service of the test process; it also keeps the IMDSv2 session tokens it issued valid.</summary>
    public static FakeInstanceMetadata Service { get; private set; } = null!;

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test assembly: the endpoint must be set before any test touches the SDK.")]
    internal static void Start()
    {
        Service = new FakeInstanceMetadata(AccessKey, SecretKey, SessionToken);
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_SERVICE_ENDPOINT", Service.Endpoint.GetLeftPart(UriPartial.Authority));
    }
}
