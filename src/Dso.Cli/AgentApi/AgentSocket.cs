using Dso.Cli.Commands;

namespace Dso.Cli.AgentApi;

/// <summary>Finds the agent's socket the way the agent does: DSO_SOCKET, else agent.socket in the agent's dso.yaml, else /run/dso/dso.sock.</summary>
internal static class AgentSocket
{
    /// <summary>Creates a client for the agent's socket, with the group name from DSO_GROUP, else dso.</summary>
    public static AgentApiClient CreateClient(CliContext context) =>
        new(Resolve(context), Agent.Configuration.AgentPaths.Resolve(context.Environment).Group);

    public static string Resolve(CliContext context)
    {
        if (context.Environment("DSO_SOCKET") is { Length: > 0 } socket)
        {
            return Path.GetFullPath(socket);
        }

        try
        {
            return AgentStateSettings.Resolve(context).Paths.SocketPath;
        }
        catch (UnauthorizedAccessException)
        {
            // /etc/dso/dso.yaml is 0660 root:dso, so a user outside the group gets the socket's permission error instead.
            return Agent.Configuration.AgentSettings.DefaultSocketPath;
        }
    }
}
