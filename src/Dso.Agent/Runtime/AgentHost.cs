using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Runtime;

/// <summary>
/// Builds and runs the agent's Generic Host: systemd integration (Type=notify readiness, journald severity
/// prefixes) when systemd started it, one log line per event on stdout otherwise, or JSON lines with --log-format json.
/// </summary>
internal static class AgentHost
{
    private const string NotifySocketVariable = "NOTIFY_SOCKET";

    public static async Task<int> RunAsync(AgentStartup startup, bool jsonLogs, CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "dso-agent",
            ContentRootPath = "/",
        });
        // systemd sets NOTIFY_SOCKET for a Type=notify unit. The library's own test (is the parent process systemd?)
        // misses a unit started through a wrapper, so the socket alone also counts.
        bool underSystemd = SystemdHelpers.IsSystemdService()
            || !string.IsNullOrEmpty(startup.Environment(NotifySocketVariable));
        if (underSystemd)
        {
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        builder.Logging.SetMinimumLevel(LogLevel.Information);

        // One line per API request would drown the agent's own events; failures still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (jsonLogs)
        {
            builder.Logging.AddJsonConsole(options => options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ");
        }
        else if (underSystemd)
        {
            builder.Logging.AddSystemdConsole();
        }
        else
        {
            builder.Logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                options.UseUtcTimestamp = true;
            });
        }

        builder.Services.AddSingleton(startup);
        builder.Services.AddSingleton<AgentService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AgentService>());
        using IHost host = builder.Build();
        await host.RunAsync(cancellationToken);
        return Environment.ExitCode;
    }
}
