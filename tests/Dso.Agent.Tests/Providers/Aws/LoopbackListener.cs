using System.Net;
using System.Net.Sockets;

namespace Dso.Agent.Tests.Providers.Aws;

/// <summary>The HttpListener part of the AWS fakes: a free port on 127.0.0.1 and a loop that hands each request to a handler.</summary>
internal static class LoopbackListener
{
    /// <summary>Starts <paramref name="listener"/> on a free port of 127.0.0.1 and returns its base URL, ending in "/".</summary>
    public static Uri Start(HttpListener listener)
    {
        Uri endpoint;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }

        listener.Prefixes.Add(endpoint.ToString());
        listener.Start();
        return endpoint;
    }

    /// <summary>Accepts requests until the listener stops, each handled on its own task.</summary>
    public static async Task AcceptAsync(HttpListener listener, Func<HttpListenerContext, Task> handle)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => handle(context));
        }
    }
}
