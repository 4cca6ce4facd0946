using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Core;

namespace Dso.Cli.Commands.Providers;

/// <summary>
/// dso fetch: reads one secret of the agent-mode dso.yaml from its provider and shows its version, the keys of a
/// JSON object value and what the secret's key selection delivers. Values are masked as **** with their length
/// in bytes unless --reveal is given. Revealed values go to standard output only, and errors never contain one.
/// </summary>
internal static class FetchCommand
{
    private const string Mask = "****";

    public static Command Create(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The secret, as named under secrets in dso.yaml." };
        var reveal = new Option<bool>("--reveal") { Description = "Print the values instead of masking them (to standard output only)." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var timeout = TimeoutOption.Create("The time limit for the fetch, as a duration such as 30s or 2m (default 60s).");

        var fetch = new Command("fetch", "Read one secret of the agent-mode dso.yaml from its provider and show its version and, for a JSON object, its keys. Values are masked unless --reveal is given.")
        {
            name,
            reveal,
            json,
            timeout,
        };
        fetch.SetAction((result, cancellationToken) =>
        {
            TimeSpan limit = TimeoutOption.GetValue(result, timeout, TimeSpan.FromSeconds(60));
            return RunAsync(context, result.GetValue(name)!, result.GetValue(reveal), result.GetValue(json), limit, cancellationToken);
        });
        return fetch;
    }

    private static async Task<int> RunAsync(CliContext context, string name, bool reveal, bool json, TimeSpan limit, CancellationToken cancellationToken)
    {
        AgentConfig config = AgentConfigFile.Load(context);
        if (!config.Secrets.TryGetValue(name, out SecretConfig? secret))
        {
            throw AgentConfigFile.UnknownName("secret", name, config.Path, config.Secrets.Keys.Order(StringComparer.Ordinal));
        }

        ProviderConfig providerConfig = config.Providers[secret.Provider];
        string origin = $"Secret {secret.Name} (provider {secret.Provider}, path {secret.Path})";
        SecretPayload fetched;
        try
        {
            fetched = await FetchAsync(context, providerConfig, secret, origin, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (DsoException error) when (json)
        {
            // A script gets the failure in the same JSON shape as a success, with the value fields null.
            JsonOutput.Write(context.Output, writer => WriteFailureJson(writer, secret, AgentConfigFile.TypeName(providerConfig), error.Message));
            context.Error.WriteLine($"dso: {error.Message}");
            return 1;
        }

        using SecretPayload payload = fetched;
        using SecretOutline? outline = SecretOutline.TryCreate(payload);

        SecretPayload? selected = null;
        string? selectionError = null;
        if (SecretValueSelector.SelectsPart(secret))
        {
            try
            {
                selected = SecretValueSelector.Apply(secret, payload);
            }
            catch (ProviderException error)
            {
                selectionError = error.Message;
            }
        }

        using (selected)
        {
            var view = new FetchView(secret, AgentConfigFile.TypeName(providerConfig), payload, outline, selected, reveal);
            if (json)
            {
                JsonOutput.Write(context.Output, writer => WriteJson(writer, view, selectionError));
            }
            else
            {
                WriteText(context.Output, view);
            }
        }

        if (selectionError is not null)
        {
            context.Error.WriteLine($"dso: {selectionError}");
            return 1;
        }

        return 0;
    }

    private static async Task<SecretPayload> FetchAsync(CliContext context, ProviderConfig providerConfig, SecretConfig secret, string origin, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            ISecretProvider provider = ProviderFactory.Create(providerConfig, AgentConfigFile.ProviderContext(context));
            await using (provider.ConfigureAwait(false))
            {
                return await provider.FetchAsync(secret.Path, versionId: null, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (ProviderException error)
        {
            throw new DsoException($"{origin}: {error.Message}", error);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DsoException($"{origin}: the fetch did not finish within {Duration.Format(limit)}. Check the provider with dso provider check {secret.Provider}, or raise the limit with --timeout.");
        }
        catch (Exception error) when (error is not OperationCanceledException and not DsoException)
        {
            throw new DsoException($"{origin}: {AgentConfigFile.Unexpected(secret.Provider, error)}");
        }
    }

    private static void WriteText(TextWriter output, FetchView view)
    {
        output.WriteLine($"secret:    {view.Secret.Name}");
        output.WriteLine($"provider:  {view.Secret.Provider} ({view.ProviderType})");
        output.WriteLine($"path:      {view.Secret.Path}");
        output.WriteLine($"version:   {view.Payload.VersionId}");
        if (view.Outline is { } outline)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"value:     JSON object, {outline.Leaves.Count} values, {view.Payload.Value.Length} bytes"));
            List<string> paths = [.. outline.Leaves.Select(leaf => SecretOutline.Display(leaf.Path))];
            int width = paths.Count == 0 ? 0 : paths.Max(path => path.Length);
            for (int i = 0; i < outline.Leaves.Count; i++)
            {
                SecretLeaf leaf = outline.Leaves[i];
                output.WriteLine($"  {paths[i].PadRight(width)}  {leaf.Type,-7}  {Shown(leaf.Value, isText: true, view.Reveal)}");
            }
        }
        else
        {
            string kind = view.Payload.IsText ? "text" : "binary";
            output.WriteLine($"value:     {kind}, {Shown(view.Payload.Value, view.Payload.IsText, view.Reveal)}");
        }

        if (view.Selected is { } selected)
        {
            output.WriteLine($"delivers:  {SecretValueSelector.Describe(view.Secret)}: {Shown(selected.Value, isText: true, view.Reveal)}");
        }
    }

    /// <summary>Formats a value for text output: masked with its length, or revealed (binary as base64).</summary>
    private static string Shown(byte[]? value, bool isText, bool reveal)
    {
        if (value is null)
        {
            return "null";
        }

        if (!reveal)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Mask} ({value.Length} {(value.Length == 1 ? "byte" : "bytes")})");
        }

        return isText ? Encoding.UTF8.GetString(value) : "base64:" + Convert.ToBase64String(value);
    }

    private static void WriteFailureJson(Utf8JsonWriter writer, SecretConfig secret, string providerType, string error)
    {
        writer.WriteStartObject();
        writer.WriteString("secret", secret.Name);
        writer.WriteString("provider", secret.Provider);
        writer.WriteString("provider_type", providerType);
        writer.WriteString("path", secret.Path);
        ProviderCommand.WriteSelection(writer, secret);
        writer.WriteNull("version");
        writer.WriteNull("format");
        writer.WriteBoolean("revealed", false);
        writer.WriteNull("length");
        writer.WriteNull("keys");
        writer.WriteNull("delivers");
        writer.WriteString("error", error);
        writer.WriteEndObject();
    }

    private static void WriteJson(Utf8JsonWriter writer, FetchView view, string? selectionError)
    {
        writer.WriteStartObject();
        writer.WriteString("secret", view.Secret.Name);
        writer.WriteString("provider", view.Secret.Provider);
        writer.WriteString("provider_type", view.ProviderType);
        writer.WriteString("path", view.Secret.Path);
        ProviderCommand.WriteSelection(writer, view.Secret);
        writer.WriteString("version", view.Payload.VersionId);
        string format = view.Payload.IsText ? "text" : "binary";
        writer.WriteString("format", view.Outline is null ? format : "json_object");
        writer.WriteBoolean("revealed", view.Reveal);
        WriteValue(writer, view.Payload.Value, view.Payload.IsText, view.Reveal);
        if (view.Outline is { } outline)
        {
            writer.WriteStartArray("keys");
            foreach (SecretLeaf leaf in outline.Leaves)
            {
                writer.WriteStartObject();
                writer.WriteString("key", SecretOutline.Display(leaf.Path));
                JsonOutput.WriteStrings(writer, "key_path", leaf.Path.Select(segment => segment.Key));
                writer.WriteString("type", leaf.Type);
                if (leaf.Value is null)
                {
                    writer.WriteNull("length");
                }
                else
                {
                    WriteValue(writer, leaf.Value, isText: true, view.Reveal);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteNull("keys");
        }

        if (view.Selected is { } selected)
        {
            writer.WriteStartObject("delivers");
            WriteValue(writer, selected.Value, isText: true, view.Reveal);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("delivers");
        }

        ProviderCommand.WriteStringOrNull(writer, "error", selectionError);
        writer.WriteEndObject();
    }

    /// <summary>Writes "length" and, when revealed, "value" (text) or "value_base64" (binary).</summary>
    private static void WriteValue(Utf8JsonWriter writer, byte[] value, bool isText, bool reveal)
    {
        writer.WriteNumber("length", value.Length);
        if (!reveal)
        {
            return;
        }

        if (isText)
        {
            writer.WriteString("value", value);
        }
        else
        {
            writer.WriteBase64String("value_base64", value);
        }
    }

    private sealed record FetchView(SecretConfig Secret, string ProviderType, SecretPayload Payload, SecretOutline? Outline, SecretPayload? Selected, bool Reveal);
}
