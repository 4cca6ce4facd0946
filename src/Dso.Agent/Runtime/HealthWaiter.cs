using System.Globalization;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using Dso.Agent.Configuration;

namespace Dso.Agent.Runtime;

/// <summary>
/// Waits until a new container is healthy: by its HEALTHCHECK when the image or container has one, else by the
/// configured TCP or HTTP probe against the container's address, else by staying up for a short settle time.
/// </summary>
internal sealed class HealthWaiter
{
    private static readonly TimeSpan PollDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(2);

    private readonly DockerClient _docker;
    private readonly TimeProvider _time;

    public HealthWaiter(DockerClient docker, TimeProvider time)
    {
        _docker = docker;
        _time = time;
    }

    /// <summary>Returns null when the container is healthy, else the reason it is not. An unhealthy container is a result, not an exception.</summary>
    public async Task<string?> WaitAsync(string containerId, string containerName, RotationPlan plan, CancellationToken cancellationToken)
    {
        DateTimeOffset started = _time.GetUtcNow();
        DateTimeOffset deadline = started + plan.HealthTimeout;
        TimeSpan settle = plan.HealthTimeout / 2 < MaxSettle ? plan.HealthTimeout / 2 : MaxSettle;
        using var http = plan.Probe?.HttpPath is null ? null : new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        string? lastProbeError = null;
        while (true)
        {
            ContainerInspectResponse container = await _docker.Containers.InspectContainerAsync(containerId, cancellationToken);
            if (!container.State.Running || container.State.Restarting)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"container {containerName} stopped (exit code {container.State.ExitCode}{(string.IsNullOrEmpty(container.State.Error) ? "" : ", " + container.State.Error)}) before it became healthy");
            }

            if (container.State.Health is { Status: { Length: > 0 } status } && status != "none")
            {
                if (status == "healthy")
                {
                    return null;
                }

                if (status == "unhealthy")
                {
                    return $"container {containerName} reports its HEALTHCHECK as unhealthy";
                }
            }
            else if (plan.Probe is { } probe)
            {
                lastProbeError = await ProbeAsync(container, probe, http, cancellationToken);
                if (lastProbeError is null)
                {
                    return null;
                }
            }
            else if (_time.GetUtcNow() - started >= settle)
            {
                return null;
            }

            if (_time.GetUtcNow() >= deadline)
            {
                string detail = lastProbeError is null ? "" : $" (last probe: {lastProbeError})";
                return string.Create(CultureInfo.InvariantCulture,
                    $"container {containerName} did not become healthy within {plan.HealthTimeout.TotalSeconds:0} s{detail}");
            }

            await Task.Delay(PollDelay, _time, cancellationToken);
        }
    }

    private static async Task<string?> ProbeAsync(ContainerInspectResponse container, ProbeConfig probe, HttpClient? http, CancellationToken cancellationToken)
    {
        string? address = container.NetworkSettings?.Networks?.Values.Select(network => network.IPAddress).FirstOrDefault(ip => !string.IsNullOrEmpty(ip))
            ?? (string.IsNullOrEmpty(container.NetworkSettings?.IPAddress) ? null : container.NetworkSettings.IPAddress);
        if (address is null)
        {
            return "the container has no IP address to probe";
        }

        try
        {
            if (http is null || probe.HttpPath is null)
            {
                using var client = new TcpClient();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(address, probe.Port, timeout.Token);
                return null;
            }

            var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{address}:{probe.Port}{probe.HttpPath}"));
            using HttpResponseMessage response = await http.GetAsync(uri, cancellationToken);
            return response.IsSuccessStatusCode
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"GET {probe.HttpPath} on port {probe.Port} returned {(int)response.StatusCode}");
        }
        catch (Exception error) when (error is SocketException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"port {probe.Port.ToString(CultureInfo.InvariantCulture)}: {error.Message}";
        }
    }
}
