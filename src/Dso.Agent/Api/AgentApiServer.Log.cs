using Microsoft.Extensions.Logging;

namespace Dso.Agent.Api;

internal sealed partial class AgentApiServer
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "The agent API listens on {SocketPath}; root and the group {Group} may connect.")]
    private static partial void LogStarted(ILogger logger, string socketPath, string group);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "The agent API on {SocketPath} stopped and its socket file was removed.")]
    private static partial void LogStopped(ILogger logger, string socketPath);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Removed the stale socket {SocketPath}, on which no process accepted connections.")]
    private static partial void LogStaleSocketRemoved(ILogger logger, string socketPath);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "The group {Group} does not exist, so the socket {SocketPath} has the agent's own group {GroupId} and only root may use the API. Run 'dso bootstrap agent' to create the group.")]
    private static partial void LogGroupMissing(ILogger logger, string socketPath, string group, uint groupId);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Rejected a connection to the agent API from uid {Uid} (gid {Gid}, pid {Pid}), which is not root and not in the group {Group}.")]
    private static partial void LogPeerRejected(ILogger logger, uint uid, uint gid, int pid, string group);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Error, Message = "Failed to read the peer credentials (SO_PEERCRED) of connection {ConnectionId}; its requests are rejected.")]
    private static partial void LogPeerCheckFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Error, Message = "Connection {ConnectionId} has no socket to read peer credentials from; its requests are rejected.")]
    private static partial void LogPeerUnknown(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "The agent API request {Method} {Path} failed with {ExceptionType}.")]
    private static partial void LogRequestFailed(ILogger logger, Exception exception, string method, string path, string exceptionType);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "Manual rotation of secret {Secret} requested by uid {Uid}.")]
    private static partial void LogManualRotation(ILogger logger, string secret, uint uid);
}
