using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Dso.Agent.Journal;
using Dso.Agent.Runtime;
using Dso.Core;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Dso.Agent.Api;

internal sealed partial class AgentApiServer
{
    private const string NdjsonContentType = "application/x-ndjson";

    /// <summary>Routes a request by exact path, then method: unknown paths get 404, other methods 405 with Allow.</summary>
    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string path = request.Path.Value ?? "/";
        try
        {
            if (!IsAllowed(context, out string? denial))
            {
                await WriteErrorAsync(context, StatusCodes.Status403Forbidden, $"The dso agent rejected {request.Method} {path}: {denial}");
                return;
            }

            (string method, Func<HttpContext, Task> handler)? route = path switch
            {
                AgentApiPaths.Status => (HttpMethods.Get, WriteStatusAsync),
                AgentApiPaths.StatusStream => (HttpMethods.Get, StreamStatusAsync),
                AgentApiPaths.Rotations => (HttpMethods.Get, WriteRotationsAsync),
                AgentApiPaths.Rotate => (HttpMethods.Post, RotateAsync),
                _ => null,
            };
            if (route is not { } found)
            {
                await WriteErrorAsync(context, StatusCodes.Status404NotFound,
                    $"The dso agent has no API path {path}. The paths are {AgentApiPaths.Status}, {AgentApiPaths.StatusStream}, {AgentApiPaths.Rotations} and {AgentApiPaths.Rotate}.");
                return;
            }

            if (!HttpMethods.Equals(request.Method, found.method))
            {
                context.Response.Headers.Allow = found.method;
                await WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, $"The dso agent's {path} accepts {found.method} only, not {request.Method}.");
                return;
            }

            await found.handler(context);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested || context.RequestAborted.IsCancellationRequested)
        {
            if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, $"The dso agent is stopping; {request.Method} {path} was not completed. Retry when the agent runs again.");
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Only the exception type reaches the client: a message from deep inside the agent is for its log.
            LogRequestFailed(_logger, exception, request.Method, path, exception.GetType().Name);
            if (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, StatusCodes.Status500InternalServerError,
                    $"The dso agent failed to handle {request.Method} {path} ({exception.GetType().Name}). See the agent's log ('journalctl -u dso-agent') for the cause.");
            }
        }
    }

    private static bool IsAllowed(HttpContext context, out string? denial)
    {
        object? item = null;
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(PeerDecision.ItemKey, out item);
        if (item is PeerDecision decision)
        {
            denial = decision.Reason;
            return decision.Allowed;
        }

        denial = "the agent could not read the caller's credentials (SO_PEERCRED), so it serves no one on this connection. See the agent's log.";
        return false;
    }

    private Task WriteStatusAsync(HttpContext context) =>
        WriteJsonAsync(context, StatusCodes.Status200OK, _control.GetStatus(), AgentApiJsonContext.Default.AgentStatus);

    /// <summary>GET /v1/rotations[?target=T][&amp;limit=N]: journal records, newest first.</summary>
    private async Task WriteRotationsAsync(HttpContext context)
    {
        string? target = context.Request.Query["target"].FirstOrDefault();
        int limit = int.MaxValue;
        if (context.Request.Query["limit"].FirstOrDefault() is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"The query parameter limit of {AgentApiPaths.Rotations} must be a positive whole number, not '{limitText}'.");
            return;
        }

        // The journal appends records as rotations start, so the position breaks ties between equal start times.
        List<RotationRecord> records = _journal.All()
            .Select((record, index) => (Record: record, Index: index))
            .Where(entry => target is null || entry.Record.Target == target)
            .OrderByDescending(entry => entry.Record.StartedAt)
            .ThenByDescending(entry => entry.Index)
            .Select(entry => entry.Record)
            .Take(limit)
            .ToList();
        await WriteJsonAsync(context, StatusCodes.Status200OK, new RotationList(records), AgentApiJsonContext.Default.RotationList);
    }

    /// <summary>POST /v1/rotate with {"secret":"name"}: rotates now and responds when every target has finished or failed.</summary>
    private async Task RotateAsync(HttpContext context)
    {
        RotateRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(context.Request.Body, AgentApiJsonContext.Default.RotateRequest, context.RequestAborted);
        }
        catch (JsonException exception)
        {
            // The position only: JsonException's message may quote the body.
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                $"The body of POST {AgentApiPaths.Rotate} is not valid JSON (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}). Send {{\"secret\":\"NAME\"}}.");
            return;
        }
        catch (BadHttpRequestException exception)
        {
            await WriteErrorAsync(context, exception.StatusCode, $"The body of POST {AgentApiPaths.Rotate} was rejected: it is larger than {MaxRequestBodyBytes} bytes or incomplete. Send {{\"secret\":\"NAME\"}}.");
            return;
        }

        if (body?.Secret is not { Length: > 0 } secret)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"The body of POST {AgentApiPaths.Rotate} has no \"secret\" name. Send {{\"secret\":\"NAME\"}}.");
            return;
        }

        PeerDecision? decision = context.Features.Get<IConnectionItemsFeature>()?.Items[PeerDecision.ItemKey] as PeerDecision;
        LogManualRotation(_logger, secret, decision?.Peer.Uid ?? 0);

        ManualRotationResult result;
        try
        {
            // The agent's stop token, not the request's: a client that goes away must not abort a rotation halfway.
            result = await _control.RotateSecretAsync(secret, _stopping.Token);
        }
        catch (DsoException exception)
        {
            await WriteErrorAsync(context, StatusCodes.Status404NotFound, exception.Message);
            return;
        }

        await WriteJsonAsync(context, StatusCodes.Status200OK, result, AgentApiJsonContext.Default.ManualRotationResult);
    }

    /// <summary>
    /// GET /v1/status/stream: newline-delimited JSON, one status snapshot at once and one after each StatusChanged.
    /// Changes that arrive while a snapshot is written are folded into the next one.
    /// </summary>
    private async Task StreamStatusAsync(HttpContext context)
    {
        Channel<bool> changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void OnChanged(object? sender, EventArgs e) => changes.Writer.TryWrite(true);

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        CancellationToken token = cancellation.Token;
        _control.StatusChanged += OnChanged;
        try
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = NdjsonContentType;
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await WriteStatusLineAsync(context.Response, token);
            while (await changes.Reader.WaitToReadAsync(token))
            {
                changes.Reader.TryRead(out _);
                await WriteStatusLineAsync(context.Response, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client went away or the agent stops: the stream simply ends.
        }
        finally
        {
            _control.StatusChanged -= OnChanged;
        }
    }

    private async Task WriteStatusLineAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(_control.GetStatus(), AgentApiJsonContext.Default.AgentStatus), (byte)'\n'];
        await response.Body.WriteAsync(line, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static Task WriteErrorAsync(HttpContext context, int statusCode, string message) =>
        WriteJsonAsync(context, statusCode, new ApiError(message), AgentApiJsonContext.Default.ApiError);

    private static Task WriteJsonAsync<T>(HttpContext context, int statusCode, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(value, typeInfo, contentType: "application/json; charset=utf-8", context.RequestAborted);
    }
}
