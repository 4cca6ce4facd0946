using System.Security.Cryptography;
using System.Text.Json;

namespace Dso.Agent.Providers.Aws;

/// <summary>
/// Reads a GetSecretValue response with <see cref="Utf8JsonReader"/>, copying SecretString as UTF-8 bytes so
/// that the value never becomes a .NET string, which could not be cleared.
/// </summary>
internal static class SecretValueReader
{
    public static SecretPayload Read(ReadOnlySpan<byte> response, string provider, string subject)
    {
        string? versionId = null;
        byte[]? text = null;
        byte[]? binary = null;
        try
        {
            var reader = new Utf8JsonReader(response);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid(provider, subject, "is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("VersionId"u8))
                {
                    reader.Read();
                    versionId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("SecretString"u8))
                {
                    reader.Read();
                    text = reader.TokenType == JsonTokenType.String ? CopyUtf8(ref reader) : null;
                }
                else if (reader.ValueTextEquals("SecretBinary"u8))
                {
                    reader.Read();
                    binary = reader.TokenType == JsonTokenType.String ? reader.GetBytesFromBase64() : null;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (Exception error) when (error is JsonException or FormatException or InvalidOperationException)
        {
            Clear(text, binary);

            // These messages name a position in the body, never its content.
            throw Invalid(provider, subject, $"is not valid JSON ({error.Message})", error);
        }

        if (versionId is null)
        {
            Clear(text, binary);
            throw Invalid(provider, subject, "has no VersionId");
        }

        if (text is { Length: > 0 })
        {
            Clear(binary);
            return new SecretPayload(versionId, text, isText: true);
        }

        if (binary is { Length: > 0 })
        {
            Clear(text);
            return new SecretPayload(versionId, binary, isText: false);
        }

        throw Invalid(provider, subject, $"of version {versionId} has an empty or missing SecretString and SecretBinary");
    }

    private static byte[] CopyUtf8(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan.ToArray();
        }

        // An unescaped value is never longer than its escaped form.
        byte[] buffer = new byte[reader.ValueSpan.Length];
        int length = reader.CopyString(buffer);
        byte[] value = buffer[..length];
        CryptographicOperations.ZeroMemory(buffer);
        return value;
    }

    private static void Clear(params byte[]?[] buffers)
    {
        foreach (byte[]? buffer in buffers)
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static ProviderException Invalid(string provider, string subject, string problem, Exception? inner = null)
    {
        string message = $"Provider {provider}: GetSecretValue for {subject} returned a response that {problem}. Check that the provider's endpoint is Secrets Manager.";
        return inner is null
            ? new ProviderException(provider, ProviderErrorKind.Invalid, message)
            : new ProviderException(provider, ProviderErrorKind.Invalid, message, inner);
    }
}
