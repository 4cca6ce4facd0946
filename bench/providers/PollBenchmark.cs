using System.Diagnostics;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.Azure;
using Dso.Agent.Tests.Providers.Azure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dso.Bench.Providers;

/// <summary>One measured poll cycle (or baseline run) of one subject at one size.</summary>
/// <param name="Requests">HTTP requests counted at the subject's server during the cycle.</param>
/// <param name="ClientCpuMilliseconds">CPU time of this process: the provider, its SDK and the HTTP client.</param>
/// <param name="ServerCpuMilliseconds">CPU time of the child process that runs the fake servers.</param>
internal sealed record Sample(
    string Subject,
    int Secrets,
    int Cycle,
    int Requests,
    double WallMilliseconds,
    double ClientCpuMilliseconds,
    double ServerCpuMilliseconds,
    int FailedLookups);

/// <summary>
/// Polls the same secret paths through the three cloud providers, created as the agent creates them, and runs
/// the baseline in turn with them, so that a slow phase of the shared machine hits every subject of a cycle.
/// </summary>
internal static class PollBenchmark
{
    public const string Baseline = "baseline";
    public const string BaselineNewConnections = "baseline-close";
    public const string Vault = "vault";
    public const string Aws = "aws";
    public const string Azure = "azure";
    public const string AzureBackstop = "azure-backstop";

    /// <summary>The subjects of one cycle, in the order they run. The CPU ratios compare each with <see cref="Baseline"/>.</summary>
    public static readonly string[] Subjects = [Baseline, BaselineNewConnections, Vault, Aws, Azure, AzureBackstop];

    /// <summary>The providers as the agent runs them, for the goal table.</summary>
    public static readonly string[] Providers = [Vault, Aws, Azure];

    public static async Task<IReadOnlyList<Sample>> RunAsync(BenchmarkOptions options, CancellationToken cancellationToken)
    {
        // Only a safeguard: the AWS credentials below are static, so the SDK's chain never reaches instance metadata.
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");

        int largest = options.Sizes.Max();
        await Console.Error.WriteLineAsync($"==> Starting the fake servers with {largest} secrets each");
        await using ServerProcess servers = await ServerProcess.StartAsync(largest, cancellationToken);
        string[] allPaths = SecretPaths.Create(largest);

        ProviderContext context = CreateContext();
        await using ISecretProvider vault = ProviderFactory.Create(VaultConfig(servers.Endpoints), context);
        await using ISecretProvider aws = ProviderFactory.Create(AwsConfig(servers.Endpoints), context);
        // Two Azure providers. The first has a backstop interval of one day, so few backstop lookups fall due while the
        // benchmark runs, and its warm cycles show the steady state. The second's backstop is due in every cycle.
        await using ISecretProvider azure = new AzureKeyVaultProvider(
            AzureConfig(servers.Endpoints), context, AzureTestSettings() with { FullCheckInterval = TimeSpan.FromDays(1) });
        await using ISecretProvider azureBackstop = new AzureKeyVaultProvider(
            AzureConfig(servers.Endpoints), context, AzureTestSettings() with { FullCheckInterval = TimeSpan.Zero });
        using var baselineClient = new HttpClient();

        var samples = new List<Sample>();
        foreach (int size in options.Sizes)
        {
            string[] paths = allPaths[..size];
            for (int cycle = 1; cycle <= options.Cycles; cycle++)
            {
                foreach (string subject in Subjects)
                {
                    Func<Task<int>> poll = subject switch
                    {
                        Vault => () => PollAsync(vault, paths, cancellationToken),
                        Aws => () => PollAsync(aws, paths, cancellationToken),
                        Azure => () => PollAsync(azure, paths, cancellationToken),
                        AzureBackstop => () => PollAsync(azureBackstop, paths, cancellationToken),
                        BaselineNewConnections => () => GetBaselineAsync(baselineClient, servers.Endpoints.Baseline, size, newConnections: true, cancellationToken),
                        _ => () => GetBaselineAsync(baselineClient, servers.Endpoints.Baseline, size, newConnections: false, cancellationToken),
                    };
                    Sample sample = await MeasureAsync(servers, subject, size, cycle, poll, cancellationToken);
                    samples.Add(sample);
                    await Console.Error.WriteLineAsync(
                        $"    {size,6} secrets, cycle {cycle}, {subject,-8}: {sample.Requests,6} requests, {sample.WallMilliseconds,8:F0} ms wall, {sample.ClientCpuMilliseconds,8:F0} ms CPU, {sample.FailedLookups} failed");
                }
            }
        }

        return samples;
    }

    private static async Task<Sample> MeasureAsync(
        ServerProcess servers, string subject, int size, int cycle, Func<Task<int>> poll, CancellationToken cancellationToken)
    {
        ServerCounts before = await servers.ReadCountsAsync(cancellationToken);
        using var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        long started = Stopwatch.GetTimestamp();

        int failed = await poll();

        TimeSpan wall = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;
        ServerCounts after = await servers.ReadCountsAsync(cancellationToken);
        int requests = subject switch
        {
            Vault => after.Vault - before.Vault,
            Aws => after.Aws - before.Aws,
            Azure or AzureBackstop => after.Azure - before.Azure,
            _ => after.Baseline - before.Baseline,
        };
        return new Sample(subject, size, cycle, requests, wall.TotalMilliseconds, cpu.TotalMilliseconds, after.CpuMilliseconds - before.CpuMilliseconds, failed);
    }

    /// <summary>Runs one poll cycle and returns how many paths came back with an error instead of a version.</summary>
    private static async Task<int> PollAsync(ISecretProvider provider, string[] paths, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync(paths, cancellationToken);
        int failed = paths.Count(path => !versions.TryGetValue(path, out VersionLookup lookup) || !lookup.Succeeded);
        if (failed > 0 && versions.Values.FirstOrDefault(lookup => !lookup.Succeeded).Error is { } first)
        {
            await Console.Error.WriteLineAsync($"    {provider.Name}: {failed} of {paths.Length} lookups failed; the first: {first.Message}");
        }

        return failed;
    }

    /// <summary>
    /// Sends <paramref name="count"/> plain GETs, at most <see cref="ProviderResilienceOptions.MaxConcurrency"/>
    /// at once as the providers do, and returns how many failed.
    /// </summary>
    /// <param name="newConnections">Sends "Connection: close", so that every GET opens a TCP connection, as against the fake Vault server.</param>
    private static async Task<int> GetBaselineAsync(HttpClient client, Uri address, int count, bool newConnections, CancellationToken cancellationToken)
    {
        int failed = 0;
        await Parallel.ForAsync(
            0,
            count,
            new ParallelOptions { MaxDegreeOfParallelism = ProviderResilienceOptions.Default.MaxConcurrency, CancellationToken = cancellationToken },
            async (_, token) =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, address);
                request.Headers.ConnectionClose = newConnections;
                using HttpResponseMessage response = await client.SendAsync(request, token);
                await response.Content.LoadIntoBufferAsync(token);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failed);
                }
            });
        return failed;
    }

    private static ProviderContext CreateContext()
    {
        // The providers read credentials from this map, never from the real environment or home directory.
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_ACCESS_KEY_ID"] = ServerHost.AwsAccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = ServerHost.AwsSecretKey,
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/dsobench-aws-credentials",
            ["AWS_CONFIG_FILE"] = "/nonexistent/dsobench-aws-config",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        return new ProviderContext(TimeProvider.System, NullLoggerFactory.Instance, name => environment.GetValueOrDefault(name));
    }

    private static VaultProviderConfig VaultConfig(ServerEndpoints endpoints) => new()
    {
        Name = "vault_bench",
        Address = endpoints.Vault,
        Mount = ServerHost.VaultMount,
        Auth = new VaultAuthConfig { Method = VaultAuthMethod.Token, Token = ServerHost.VaultToken },
    };

    private static AwsProviderConfig AwsConfig(ServerEndpoints endpoints) => new()
    {
        Name = "aws_bench",
        Region = "us-east-1",
        Endpoint = endpoints.Aws,
    };

    private static AzureProviderConfig AzureConfig(ServerEndpoints endpoints) => new()
    {
        Name = "azure_bench",
        VaultUrl = endpoints.Azure,
        TenantId = KeyVaultTestServer.TenantId,
        ClientId = KeyVaultTestServer.ClientId,
        ClientSecret = "client-secret-Zq8!correct",
        AuthorityHost = endpoints.Azure,
        CaFile = endpoints.AzureCaPemPath,
    };

    /// <summary>The settings of the Azure provider tests, with the agent's default resilience limits.</summary>
    private static AzureClientSettings AzureTestSettings() => new()
    {
        DisableInstanceDiscovery = true,
        DisableChallengeResourceVerification = true,
        WrapHandler = handler => new LoopbackOnlyHandler(handler),
    };
}
