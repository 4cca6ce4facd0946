using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Dso.Agent.Api;
using Dso.Agent.Runtime;
using Dso.Core;

namespace Dso.Cli.AgentApi;

/// <summary>
/// A client of the agent's local API on its unix socket. Every failure becomes a <see cref="DsoException"/> that
/// names the socket, the API path, the HTTP status and the next step.
/// </summary>
internal sealed class AgentApiClient : IDisposable
{
    /// <summary>Timeout of a status request. A rotation or a stream waits until it ends or Ctrl-C is pressed.</summary>
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    private readonly string _groupName;

    /// <param name="socketPath">The agent's socket.</param>
    /// <param name="groupName">The group whose members may use the agent, named in the permission error.</param>
    public AgentApiClient(string socketPath, string groupName)
    {
        SocketPath = socketPath;
        _groupName = groupName;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            UseProxy = false,
        };

        // The host name is not resolved: every connection goes to the socket.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://dso-agent"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public string SocketPath { get; }

    public async Task<AgentStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StatusTimeout);
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, AgentApiPaths.Status, content: null, HttpCompletionOption.ResponseContentRead, timeout.Token);
        return await ReadJsonAsync(response, AgentApiPaths.Status, AgentApiJsonContext.Default.AgentStatus, timeout.Token);
    }

    /// <summary>Asks the agent to rotate <paramref name="secret"/> now and waits until every target has finished or failed.</summary>
    public async Task<ManualRotationResult> RotateAsync(string secret, CancellationToken cancellationToken)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new RotateRequest(secret), AgentApiJsonContext.Default.RotateRequest);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, AgentApiPaths.Rotate, content, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadJsonAsync(response, AgentApiPaths.Rotate, AgentApiJsonContext.Default.ManualRotationResult, cancellationToken);
    }

    /// <summary>Yields the agent's status at once and again after every change, until cancelled or the agent stops.</summary>
    public async IAsyncEnumerable<AgentStatus> WatchStatusAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, AgentApiPaths.StatusStream, content: null, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, AgentApiPaths.StatusStream, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (IOException exception)
            {
                throw new DsoException($"The dso agent on {SocketPath} closed the status stream {AgentApiPaths.StatusStream}: {exception.Message}. Check whether the agent still runs ('systemctl status dso-agent').", exception);
            }

            if (line is null)
            {
                throw new DsoException($"The dso agent on {SocketPath} ended the status stream {AgentApiPaths.StatusStream}, probably because it stopped. Check 'systemctl status dso-agent'.");
            }

            if (line.Length > 0)
            {
                yield return Deserialize(line, AgentApiPaths.StatusStream, AgentApiJsonContext.Default.AgentStatus);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            throw ConnectFailure(exception);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private DsoException ConnectFailure(SocketException exception)
    {
        if (exception.SocketErrorCode == SocketError.AccessDenied)
        {
            return new DsoException(
                $"Permission denied connecting to the dso agent's socket {SocketPath}. Only root and members of the group '{_groupName}' may use it: " +
                $"add your user to the group ('sudo usermod -aG {_groupName} $USER'), log in again, and retry.", exception);
        }

        string reason = exception.SocketErrorCode == SocketError.ConnectionRefused
            ? "the socket file exists, but no process accepts connections on it"
            : File.Exists(SocketPath) ? exception.Message : "the socket file does not exist";
        return new DsoException(
            $"No dso agent is listening on {SocketPath} ({reason}). Start it with 'systemctl start dso-agent' or run 'dso agent'; " +
            "if the agent uses another socket, set DSO_SOCKET or agent.socket in dso.yaml.", exception);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException exception) when (exception.InnerException is DsoException failure)
        {
            throw failure;
        }
        catch (HttpRequestException exception)
        {
            throw new DsoException($"The request {method} {path} to the dso agent on {SocketPath} failed: {exception.Message}. Check that the agent runs ('systemctl status dso-agent').", exception);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested || exception.InnerException is TimeoutException)
        {
            throw new DsoException($"The dso agent on {SocketPath} did not respond to {method} {path} within the timeout. Check the agent's log ('journalctl -u dso-agent').", exception);
        }
    }

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, string path, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, path, cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        return Deserialize(body, path, typeInfo);
    }

    private T Deserialize<T>(string json, string path, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(json, typeInfo)
                ?? throw new DsoException($"The dso agent on {SocketPath} returned null instead of a JSON object for {path}.");
        }
        catch (JsonException exception)
        {
            throw new DsoException($"The dso agent on {SocketPath} returned JSON for {path} that this dso cannot read (line {exception.LineNumber + 1}). Use the same dso version for the CLI and the agent.", exception);
        }
    }

    /// <summary>Turns an error status into a DsoException carrying the agent's own error message.</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        string? message = null;
        try
        {
            message = JsonSerializer.Deserialize(body, AgentApiJsonContext.Default.ApiError)?.Error;
        }
        catch (JsonException)
        {
        }

        int status = (int)response.StatusCode;
        message ??= $"{response.ReasonPhrase} (the body is not a dso error object)";
        throw new DsoException($"The dso agent on {SocketPath} responded to {response.RequestMessage?.Method} {path} with HTTP {status}: {message}");
    }
}
