using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Dso.Agent.Providers.Azure;
using Dso.Agent.Tests.Providers.Aws;
using Dso.Agent.Tests.Providers.Azure;
using Dso.Agent.Tests.Providers.HashiCorp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dso.Bench.Providers;

/// <summary>
/// The child process that runs the three fake provider servers and the baseline endpoint on 127.0.0.1, so that
/// their CPU time stays out of the measuring process. It writes one <see cref="ServerEndpoints"/> line to standard
/// output, then answers each "counts" line on standard input with a <see cref="ServerCounts"/> line, and stops at
/// "stop" or at the end of its input.
/// </summary>
internal static class ServerHost
{
    public const string VaultMount = "secret";
    public const string VaultToken = "hvs.bench-token-0001";
    public const string AwsAccessKey = "AKIABENCH0000000001";
    public const string AwsSecretKey = "bench-secret-key-not-a-real-one";

    public static async Task<int> RunAsync(int secretCount)
    {
        string directory = Directory.CreateTempSubdirectory("dsobench-providers-").FullName;
        try
        {
            await using var vault = new FakeVaultServer(TimeProvider.System);
            await using var aws = new FakeSecretsManager();
            await using KeyVaultTestServer azure = await KeyVaultTestServer.StartAsync(directory);
            await using Baseline baseline = await Baseline.StartAsync();

            vault.AddToken(VaultToken);
            vault.AddMount(VaultMount, kvVersion: 2);
            aws.AddCredentials(AwsAccessKey, AwsSecretKey);

            // Key Vault returns up to 25 secrets per list page (REST API 7.x, maxresults), but the fake returns 2 by default.
            azure.PageSize = 25;
            foreach (string path in SecretPaths.Create(secretCount))
            {
                string value = "bench value of " + path;
                vault.Put(VaultMount, path, JsonSerializer.Serialize(new Dictionary<string, string> { ["value"] = value }));
                aws.PutString(path, value);
                azure.SetSecret(AzureSecretNames.ToKeyVaultName(path, out _)!, value);
            }

            var endpoints = new ServerEndpoints(vault.Address, aws.Endpoint, new Uri(azure.BaseUrl + "/"), azure.CaPemPath, baseline.Address);
            Console.Out.WriteLine(JsonSerializer.Serialize(endpoints));
            Console.Out.Flush();

            while (await Console.In.ReadLineAsync() is { } command && command != "stop")
            {
                var counts = new ServerCounts(
                    vault.Requests.Count,
                    aws.Requests.Count,
                    azure.Requests,
                    baseline.Requests,
                    Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds);
                Console.Out.WriteLine(JsonSerializer.Serialize(counts));
                Console.Out.Flush();
            }

            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A plain HTTP endpoint on 127.0.0.1 that answers every GET with a small JSON body and counts them.</summary>
    private sealed class Baseline : IAsyncDisposable
    {
        private static readonly byte[] Body = "{\"status\":\"ok\"}"u8.ToArray();

        private readonly WebApplication _app;
        private int _requests;

        private Baseline(WebApplication app) => _app = app;

        public Uri Address { get; private set; } = null!;

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<Baseline> StartAsync()
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
            WebApplication app = builder.Build();
            var baseline = new Baseline(app);
            app.Run(baseline.HandleAsync);
            await app.StartAsync();
            baseline.Address = new Uri(app.Urls.Single().TrimEnd('/') + "/status");
            return baseline;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task HandleAsync(HttpContext context)
        {
            Interlocked.Increment(ref _requests);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = Body.Length;
            await context.Response.Body.WriteAsync(Body);
        }
    }
}

/// <summary>The addresses of the child process's servers, written once as a JSON line.</summary>
internal sealed record ServerEndpoints(Uri Vault, Uri Aws, Uri Azure, string AzureCaPemPath, Uri Baseline);

/// <summary>Requests counted at each server since it started, and the child process's CPU time in milliseconds.</summary>
internal sealed record ServerCounts(int Vault, int Aws, int Azure, int Baseline, double CpuMilliseconds);

/// <summary>The secret paths the benchmark stores and polls: the same names at every provider.</summary>
internal static class SecretPaths
{
    public static string[] Create(int count) =>
        Enumerable.Range(1, count).Select(index => string.Create(CultureInfo.InvariantCulture, $"bench/app-{index:D5}")).ToArray();
}
