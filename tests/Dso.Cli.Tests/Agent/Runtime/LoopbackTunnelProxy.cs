using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>
/// An HTTP proxy on 127.0.0.1 for the agent's HTTPS_PROXY. It opens a CONNECT tunnel only to one host name and
/// port, and connects that tunnel to the same port on 127.0.0.1, so the agent reaches a test server under a
/// DNS name without any DNS lookup. It rejects every other request with 403 and records it, so a test can prove
/// that nothing else was contacted: no other host, no metadata address, no plain-HTTP request.
/// </summary>
internal sealed class LoopbackTunnelProxy : IAsyncDisposable
{
    private const int MaxHeaderBytes = 8192;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly string _allowedAuthority;
    private readonly int _targetPort;
    private readonly Task _acceptLoop;

    /// <param name="hostName">The only host name a tunnel may be opened to, such as kv.vault.test.</param>
    /// <param name="port">The only port, which is also the port on 127.0.0.1 that the tunnel connects to.</param>
    public LoopbackTunnelProxy(string hostName, int port)
    {
        _allowedAuthority = $"{hostName}:{port}";
        _targetPort = port;
        _listener.Start();
        _acceptLoop = AcceptAsync(_stopping.Token);
    }

    /// <summary>The proxy's URL, for HTTPS_PROXY: http://127.0.0.1:port.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The request line of every tunnel that was opened.</summary>
    public ConcurrentQueue<string> Tunnels { get; } = new();

    /// <summary>The request line of every request that was rejected.</summary>
    public ConcurrentQueue<string> Rejected { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(_connections);
        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _connections.Add(HandleAsync(client, cancellationToken));
        }
    }

    private async Task HandleAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                NetworkStream downstream = client.GetStream();
                string? requestLine = await ReadRequestHeadAsync(downstream, cancellationToken);
                string[] parts = requestLine?.Split(' ') ?? [];
                if (parts.Length != 3 || parts[0] != "CONNECT" || !string.Equals(parts[1], _allowedAuthority, StringComparison.OrdinalIgnoreCase))
                {
                    Rejected.Enqueue(requestLine ?? "(no request line)");
                    await downstream.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), cancellationToken);
                    return;
                }

                Tunnels.Enqueue(requestLine!);
                using var upstream = new TcpClient();
                await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, cancellationToken);
                await downstream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), cancellationToken);
                NetworkStream upstreamStream = upstream.GetStream();

                // Either side closing ends the tunnel.
                await Task.WhenAny(
                    downstream.CopyToAsync(upstreamStream, cancellationToken),
                    upstreamStream.CopyToAsync(downstream, cancellationToken));
            }
            catch (Exception error) when (error is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A closed connection ends the tunnel; the agent gets a network error and retries.
            }
        }
    }

    /// <summary>Reads the request head up to the blank line, byte by byte so that no tunnel byte is consumed, and returns its first line.</summary>
    private static async Task<string?> ReadRequestHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>();
        byte[] next = new byte[1];
        while (head.Count < MaxHeaderBytes)
        {
            if (await stream.ReadAsync(next, cancellationToken) == 0)
            {
                return null;
            }

            head.Add(next[0]);
            if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
            {
                string text = Encoding.ASCII.GetString(head.ToArray());
                return text[..text.IndexOf("\r\n", StringComparison.Ordinal)];
            }
        }

        return null;
    }
}
