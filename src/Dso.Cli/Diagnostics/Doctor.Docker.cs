using System.ComponentModel;
using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using Dso.Core;
using Dso.Docker.Compose;
using Dso.Docker.Engine;
using Dso.Docker.Processes;

namespace Dso.Cli.Diagnostics;

/// <summary>The Docker checks of dso doctor: the engine and its API version, and which Compose runs projects.</summary>
internal sealed partial class Doctor
{
    /// <summary>The engine API version the Docker tests of dso run against (Docker 20.10).</summary>
    private static readonly System.Version TestedApiVersion = new(1, 41);

    private async Task<DoctorCheck> CheckEngineAsync(CancellationToken cancellationToken)
    {
        const string name = "docker_engine";
        string host = _context.Environment("DOCKER_HOST") is { Length: > 0 } configured ? configured : "unix:///var/run/docker.sock";
        if (host.StartsWith("unix://", StringComparison.Ordinal) && !File.Exists(host["unix://".Length..]))
        {
            return new DoctorCheck(name, DoctorStatus.Error, $"no socket at {host}", "the Docker engine is not running, or DOCKER_HOST points elsewhere", "start the engine (systemctl start docker, or dockerd), or set DOCKER_HOST to its socket");
        }

        try
        {
            using DockerClient client = DockerEngine.CreateClient(_context.Environment);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(EngineTimeout);
            VersionResponse version = await client.System.GetVersionAsync(timeout.Token);
            string detail = $"Docker {version.Version} at {host}, API {version.APIVersion} (minimum {version.MinAPIVersion})";
            if (System.Version.TryParse(version.APIVersion, out System.Version? api) && api < TestedApiVersion)
            {
                return new DoctorCheck(name, DoctorStatus.Warning, detail, $"dso is tested with API {TestedApiVersion} (Docker 20.10) and later", "upgrade the Docker engine");
            }

            return DoctorCheck.Ok(name, detail);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DoctorCheck(name, DoctorStatus.Error, $"{host} did not respond within {EngineTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds", "the engine is hung or overloaded", "check the engine's log (journalctl -u docker) and restart it");
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or DockerApiException or TimeoutException)
        {
            bool denied = exception.InnerException?.Message.Contains("denied", StringComparison.OrdinalIgnoreCase) == true || exception.Message.Contains("denied", StringComparison.OrdinalIgnoreCase);
            return denied
                ? new DoctorCheck(name, DoctorStatus.Error, $"{host}: permission denied", "this user may not use the Docker socket", "add the user to the docker group (usermod -aG docker USER, then log in again), or run dso as root")
                : new DoctorCheck(name, DoctorStatus.Error, $"{host}: {exception.Message}{(exception.InnerException is null ? string.Empty : " (" + exception.InnerException.Message + ")")}", "the Docker engine does not answer", "start the engine (systemctl start docker, or dockerd), or set DOCKER_HOST to its socket");
        }
    }

    private async Task<DoctorCheck> CheckComposeAsync(CancellationToken cancellationToken)
    {
        const string name = "compose";
        ComposeCli compose;

        // An invalid dso.yaml is the config check's finding; here it only means compose.command is unknown.
        Func<string, string?> environment;
        try
        {
            _ = _context.Config;
            environment = _context.ComposeEnvironment;
        }
        catch (DsoException)
        {
            environment = _context.Environment;
        }

        try
        {
            compose = ComposeCli.Detect(environment);
        }
        catch (DsoException exception)
        {
            return new DoctorCheck(name, DoctorStatus.Error, "no Compose found", exception.Message, "install the Compose plugin (docker compose) or docker-compose");
        }

        try
        {
            ProcessResult result = await ProcessCapture.RunAsync(compose.FileName, [.. compose.PrefixArguments, "version", "--short"], _context.WorkingDirectory, TimeSpan.FromSeconds(30), cancellationToken);
            string version = result.StandardOutput.Trim().TrimStart('v');
            if (result.ExitCode != 0 || version.Length == 0)
            {
                return new DoctorCheck(name, DoctorStatus.Error, $"{compose.DisplayName} version failed with exit code {result.ExitCode}", "the Compose installation is broken", $"run '{compose.DisplayName} version' to see why, and reinstall it");
            }

            string generation = version.StartsWith("1.", StringComparison.Ordinal) ? "v1" : "v2";
            string source = environment("DSO_COMPOSE") is { Length: > 0 } ? "chosen by DSO_COMPOSE or compose.command" : "detected; v2 is preferred when both are installed";
            return DoctorCheck.Ok(name, $"{compose.DisplayName} {version} (Compose {generation}, {source})");
        }
        catch (Exception exception) when (exception is Win32Exception or TimeoutException)
        {
            return new DoctorCheck(name, DoctorStatus.Error, $"{compose.DisplayName} could not be run: {exception.Message}", "the Compose program is missing or not executable", "reinstall Compose, or set DSO_COMPOSE to \"docker compose\" or \"docker-compose\"");
        }
    }
}
