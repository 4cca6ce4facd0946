using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Core;

namespace Dso.Cli.Commands.Providers;

/// <summary>
/// dso provider check: connects to each provider of the agent-mode dso.yaml and reads every secret that uses it,
/// as the agent would, and reports per secret whether it is readable, its version and why not. No value is shown.
/// </summary>
internal static class ProviderCommand
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static Command Create(CliContext context)
    {
        var name = new Argument<string?>("name") { Description = "Check only this provider (an entry of providers in dso.yaml).", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON." };
        var timeout = TimeoutOption.Create("The time limit for the whole check, as a duration such as 30s or 2m (default 60s). What is not checked by then is reported as not readable.");

        var check = new Command("check", "Connect to the providers of the agent-mode dso.yaml and read each secret that uses them, as the agent would. Prints, per secret, whether it is readable, its version, and why not; never a value. Exit code 1 when anything is not readable.")
        {
            name,
            json,
            timeout,
        };
        check.SetAction((result, cancellationToken) =>
        {
            TimeSpan limit = TimeoutOption.GetValue(result, timeout, DefaultTimeout);
            return RunAsync(context, result.GetValue(name), result.GetValue(json), limit, cancellationToken);
        });

        var provider = new Command("provider", "Inspect the secret providers of the agent-mode dso.yaml.") { check };
        return provider;
    }

    private static async Task<int> RunAsync(CliContext context, string? name, bool json, TimeSpan limit, CancellationToken cancellationToken)
    {
        AgentConfig config = AgentConfigFile.Load(context);
        List<ProviderConfig> providers;
        if (name is null)
        {
            providers = [.. config.Providers.Values];
        }
        else if (config.Providers.TryGetValue(name, out ProviderConfig? named))
        {
            providers = [named];
        }
        else
        {
            throw AgentConfigFile.UnknownName("provider", name, config.Path, config.Providers.Keys);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        string timeoutReason = $"dso provider check reached its time limit of {Duration.Format(limit)}; raise it with --timeout";
        ProviderContext providerContext = AgentConfigFile.ProviderContext(context);
        ProviderCheckResult[] results = await Task.WhenAll(providers.Select(provider =>
        {
            List<SecretConfig> secrets = [.. config.Secrets.Values.Where(secret => secret.Provider == provider.Name).OrderBy(secret => secret.Name, StringComparer.Ordinal)];
            return ProviderChecker.CheckAsync(provider, secrets, providerContext, timeoutReason, deadline.Token);
        })).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        bool ok = results.All(result => result.AllReadable);
        if (json)
        {
            JsonOutput.Write(context.Output, writer => WriteJson(writer, config.Path, ok, results));
        }
        else
        {
            WriteText(context.Output, results);
        }

        return ok ? 0 : 1;
    }

    private static void WriteText(TextWriter output, IReadOnlyList<ProviderCheckResult> results)
    {
        foreach (ProviderCheckResult result in results)
        {
            string type = AgentConfigFile.TypeName(result.Provider);
            output.WriteLine(result.Connected
                ? $"provider {result.Provider.Name} ({type}): connected"
                : $"provider {result.Provider.Name} ({type}): FAILED: {result.Error}");
            int width = result.Secrets.Count == 0 ? 0 : result.Secrets.Max(check => check.Secret.Name.Length);
            foreach (SecretCheck check in result.Secrets)
            {
                string selection = SecretValueSelector.SelectsPart(check.Secret) ? $", {SecretValueSelector.Describe(check.Secret)}" : "";
                string where = $"path {check.Secret.Path}{selection}";
                output.WriteLine(check.Readable
                    ? $"  ok    {check.Secret.Name.PadRight(width)}  version {check.Version} ({where})"
                    : $"  FAIL  {check.Secret.Name.PadRight(width)}  {where}: {check.Error}");
            }

            if (result.Secrets.Count == 0)
            {
                output.WriteLine("  no secret of dso.yaml uses this provider");
            }
        }

        int secrets = results.Sum(result => result.Secrets.Count);
        int readable = results.Sum(result => result.Secrets.Count(check => check.Readable));
        int failedProviders = results.Count(result => !result.Connected);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{readable} of {secrets} secrets readable; {results.Count - failedProviders} of {results.Count} providers connected."));
    }

    private static void WriteJson(Utf8JsonWriter writer, string configPath, bool ok, IReadOnlyList<ProviderCheckResult> results)
    {
        writer.WriteStartObject();
        writer.WriteString("config", configPath);
        writer.WriteBoolean("ok", ok);
        writer.WriteStartArray("providers");
        foreach (ProviderCheckResult result in results)
        {
            writer.WriteStartObject();
            writer.WriteString("name", result.Provider.Name);
            writer.WriteString("type", AgentConfigFile.TypeName(result.Provider));
            writer.WriteBoolean("connected", result.Connected);
            WriteStringOrNull(writer, "error", result.Error);
            writer.WriteStartArray("secrets");
            foreach (SecretCheck check in result.Secrets)
            {
                writer.WriteStartObject();
                writer.WriteString("name", check.Secret.Name);
                writer.WriteString("path", check.Secret.Path);
                WriteSelection(writer, check.Secret);
                writer.WriteBoolean("readable", check.Readable);
                WriteStringOrNull(writer, "version", check.Version);
                WriteStringOrNull(writer, "error", check.Error);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Writes "key" and "key_path", each null when not set.</summary>
    public static void WriteSelection(Utf8JsonWriter writer, SecretConfig secret)
    {
        WriteStringOrNull(writer, "key", secret.Key);
        if (secret.KeyPath is { } keyPath)
        {
            JsonOutput.WriteStrings(writer, "key_path", keyPath);
        }
        else
        {
            writer.WriteNull("key_path");
        }
    }

    public static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
