using System.Text;
using System.Text.Json;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;

namespace Dso.Agent.Runtime;

/// <summary>Picks the configured part of a provider's value.</summary>
internal static class SecretValueSelection
{
    // NOTE: interim rule (one top-level string key); the shared JSON rules replace this.
    public static byte[] Select(SecretConfig secret, SecretPayload payload)
    {
        if (secret.Key is null)
        {
            return payload.Value.ToArray();
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(payload.Value);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(secret.Key, out JsonElement element))
            {
                return Encoding.UTF8.GetBytes(element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText());
            }
        }
        catch (JsonException)
        {
        }

        throw new ProviderException(secret.Provider, ProviderErrorKind.Invalid,
            $"Secret {secret.Name}: the value of {secret.Path} at provider {secret.Provider} is not a JSON object with the key \"{secret.Key}\".");
    }
}
