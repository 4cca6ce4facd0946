using System.Security.Cryptography;

namespace Dso.Agent.Providers;

/// <summary>
/// A secret value as the provider returned it, with the id of its version. Text values are held as UTF-8
/// bytes. Dispose clears the bytes; ToString never shows them.
/// </summary>
internal sealed class SecretPayload : IDisposable
{
    public SecretPayload(string versionId, byte[] value, bool isText)
    {
        VersionId = versionId;
        Value = value;
        IsText = isText;
    }

    public string VersionId { get; }

    /// <summary>The raw value. The payload owns the array and clears it on dispose.</summary>
    public byte[] Value { get; }

    /// <summary>True when the provider stored text (AWS SecretString, Vault data), false for binary (AWS SecretBinary).</summary>
    public bool IsText { get; }

    public void Dispose() => CryptographicOperations.ZeroMemory(Value);

    public override string ToString() => $"SecretPayload(version {VersionId}, {Value.Length} bytes)";
}
