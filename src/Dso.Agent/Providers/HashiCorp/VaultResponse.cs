using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Dso.Agent.Providers.HashiCorp;

/// <summary>A Vault response that the transport did not treat as a failure. Dispose clears the body, which can hold a secret or a token.</summary>
internal sealed class VaultResponse : IDisposable
{
    public VaultResponse(string operation, int statusCode, byte[] body)
    {
        Operation = operation;
        StatusCode = statusCode;
        Body = body;
    }

    /// <summary>The method and API path of the call, such as "GET /v1/secret/metadata/db".</summary>
    public string Operation { get; }

    public int StatusCode { get; }

    public byte[] Body { get; }

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    /// <summary>Vault's <c>errors</c> array joined into one line, or null when the body has none.</summary>
    public string? ReadErrors()
    {
        if (Body.Length == 0)
        {
            return null;
        }

        try
        {
            List<string>? errors = JsonSerializer.Deserialize(Body, VaultJsonContext.Default.VaultErrorBody)?.Errors;
            return errors is { Count: > 0 } ? string.Join("; ", errors.Select(error => error.ReplaceLineEndings(" ").Trim())) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads the body as <typeparamref name="T"/>, or returns null when it is not that JSON.</summary>
    public T? ReadJson<T>(JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(Body, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(Body);

    public override string ToString() => $"VaultResponse({Operation}, HTTP {StatusCode}, {Body.Length} bytes)";
}
