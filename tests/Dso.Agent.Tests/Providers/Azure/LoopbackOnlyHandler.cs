using System.Collections.Concurrent;

namespace Dso.Agent.Tests.Providers.Azure;

/// <summary>
/// Fails every request whose host is not 127.0.0.1 before it is sent, and records it, so that a test can prove
/// the SDK reached no public endpoint (instance discovery, IMDS, login.microsoftonline.com).
/// </summary>
internal sealed class LoopbackOnlyHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public static ConcurrentQueue<string> Blocked { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is not { Host: "127.0.0.1" })
        {
            Blocked.Enqueue($"{request.Method} {request.RequestUri}");
            throw new HttpRequestException($"The test blocked a request to {request.RequestUri?.Host}; only 127.0.0.1 may be reached.");
        }

        return base.SendAsync(request, cancellationToken);
    }
}
