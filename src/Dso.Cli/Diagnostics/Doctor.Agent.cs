using System.ComponentModel;
using System.Net.Sockets;
using Dso.Agent.Configuration;
using Dso.Docker.Processes;

namespace Dso.Cli.Diagnostics;

/// <summary>The agent checks of dso doctor: its socket and its systemd service.</summary>
internal sealed partial class Doctor
{
    private const string ServiceName = "dso-agent.service";

    private static readonly string[] UnitDirectories = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

    private DoctorCheck CheckAgentSocket()
    {
        const string name = "agent_socket";
        string path = _context.Paths.SocketPath;
        if (!File.Exists(path))
        {
            return DoctorCheck.Ok(name, $"no agent socket at {path} (no agent runs; local mode needs none)");
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException exception)
        {
            string reason = exception.SocketErrorCode == SocketError.AccessDenied ? "this user may not connect to it" : $"nothing accepts connections on it ({exception.SocketErrorCode})";
            string fix = exception.SocketErrorCode == SocketError.AccessDenied
                ? "add the user to the dso group, or run the command as root"
                : $"start the agent (systemctl start {ServiceName}); a socket left by a stopped agent is replaced when it starts";
            return new DoctorCheck(name, DoctorStatus.Warning, $"{path} exists", reason, fix);
        }

        UnixFileMode other = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((File.GetUnixFileMode(path) & other) != 0)
        {
            return new DoctorCheck(name, DoctorStatus.Warning, $"{path} accepts connections, mode {Mode(path)}", "every local user can reach the agent", $"chmod 660 {path}")
            {
                Repairs = [Chmod(path, File.GetUnixFileMode(path) & ~other)],
            };
        }

        return DoctorCheck.Ok(name, $"{path} accepts connections, mode {Mode(path)}");
    }

    private async Task<DoctorCheck> CheckAgentServiceAsync(CancellationToken cancellationToken)
    {
        const string name = "agent_service";
        string? unit = new[] { AgentPaths.Resolve(_context.Environment).SystemdDirectory }.Concat(UnitDirectories)
            .Select(directory => Path.Combine(directory, ServiceName))
            .FirstOrDefault(File.Exists);
        if (!Directory.Exists("/run/systemd/system"))
        {
            string installed = unit is null ? $"{ServiceName} is not installed" : $"{unit} is installed";
            return new DoctorCheck(name, DoctorStatus.Skipped, $"{installed}; systemd is not running here (not PID 1), so the service state is unknown");
        }

        if (unit is null)
        {
            return DoctorCheck.Ok(name, $"{ServiceName} is not installed (local mode needs no agent; 'dso bootstrap agent' installs it)");
        }

        try
        {
            ProcessResult result = await ProcessCapture.RunAsync("systemctl", ["is-active", ServiceName], _context.WorkingDirectory, TimeSpan.FromSeconds(10), cancellationToken);
            string state = result.StandardOutput.Trim();
            return state == "active"
                ? DoctorCheck.Ok(name, $"{ServiceName} is active ({unit})")
                : new DoctorCheck(name, DoctorStatus.Warning, $"{ServiceName} is {state} ({unit})", "the agent is installed but not running, so no secret is watched or rotated", $"systemctl start {ServiceName}, and see journalctl -u {ServiceName}");
        }
        catch (Exception exception) when (exception is Win32Exception or TimeoutException)
        {
            return new DoctorCheck(name, DoctorStatus.Skipped, $"systemctl could not be run: {exception.Message}");
        }
    }
}
