using System.Text;
using Dso.Agent.Configuration;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>The dso-agent.service unit: a hardened notify service that runs 'dso agent' after Docker.</summary>
internal static class SystemdUnit
{
    public const string RuntimeDirectory = "/run/dso";

    /// <summary>Directories systemd loads system units from (systemd.unit(5)); a unit written elsewhere is not started.</summary>
    public static readonly IReadOnlyList<string> SearchPath =
    [
        "/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system",
    ];

    /// <param name="executable">The absolute path of the dso executable that ExecStart runs.</param>
    /// <param name="dockerGroupExists">Adds SupplementaryGroups=docker, for access to the Docker socket.</param>
    public static string Render(AgentPaths paths, string executable, bool dockerGroupExists)
    {
        var writable = new List<string>();
        foreach (string directory in DataDirectories(paths).Append(RuntimeDirectory).Append(Path.GetDirectoryName(paths.SocketPath)!))
        {
            if (!writable.Any(existing => directory == existing || directory.StartsWith(existing + "/", StringComparison.Ordinal)))
            {
                writable.Add(directory);
            }
        }

        var unit = new StringBuilder();
        unit.Append($"""
            # Written by 'dso bootstrap agent'. dso never changes this file once it exists: to regenerate it,
            # move it aside and run 'dso bootstrap agent' again.
            [Unit]
            Description=dso agent: injects secrets into Docker containers and rotates them
            After=docker.service network-online.target
            Wants=docker.service network-online.target

            [Service]
            Type=notify
            ExecStart={Quote(executable)} agent
            Restart=on-failure
            RestartSec=5s

            """);
        if (!paths.IsDefaultEtcDirectory)
        {
            unit.Append($"Environment={Quote("DSO_CONFIG=" + paths.ConfigPath)}\n");
        }

        unit.Append($"EnvironmentFile=-{Quote(paths.EnvironmentFilePath)}\n");
        unit.Append($"Group={paths.Group}\n");
        if (dockerGroupExists)
        {
            unit.Append("SupplementaryGroups=docker\n");
        }

        // RuntimeDirectoryPreserve=yes: the default secret-file root, /run/dso/secrets, lies in the runtime directory,
        // which systemd otherwise deletes whenever the service stops or restarts (systemd.exec(5)). That would delete
        // the files that running containers bind-mount from it.
        unit.Append($"""
            NoNewPrivileges=yes
            ProtectSystem=strict
            ReadWritePaths={string.Join(' ', writable.Select(Quote))}
            ProtectHome=yes
            PrivateTmp=yes
            RuntimeDirectory={Path.GetFileName(RuntimeDirectory)}
            RuntimeDirectoryMode=0750
            RuntimeDirectoryPreserve=yes

            [Install]
            WantedBy=multi-user.target

            """);
        return unit.ToString();
    }

    /// <summary>The directories that hold the state and lock directories, such as /var/lib/dso.</summary>
    public static IReadOnlyList<string> DataDirectories(AgentPaths paths) =>
        new[] { paths.StateDirectory, paths.LockDirectory }
            .Select(directory => Path.GetDirectoryName(directory) ?? directory)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Writes a word for a unit file: '%' doubled so that it is no specifier, and quoted when it holds a space,
    /// a quote or a backslash (systemd.syntax(7), systemd.unit(5)).
    /// </summary>
    private static string Quote(string word)
    {
        string escaped = word.Replace("%", "%%", StringComparison.Ordinal);
        return escaped.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\')
            ? "\"" + escaped.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : escaped;
    }
}
