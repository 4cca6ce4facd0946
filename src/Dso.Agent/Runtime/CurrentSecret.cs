using System.Security.Cryptography;

namespace Dso.Agent.Runtime;

/// <summary>The latest value of one configured secret, after key selection. ToString never shows the value.</summary>
internal sealed class CurrentSecret
{
    public CurrentSecret(string name, string provider, string version, string fingerprint, byte[] value)
    {
        Name = name;
        Provider = provider;
        Version = version;
        Fingerprint = fingerprint;
        Value = value;
    }

    public string Name { get; }

    public string Provider { get; }

    public string Version { get; }

    public string Fingerprint { get; }

    /// <summary>The bytes delivered to containers; cleared by <see cref="Clear"/> when a newer value replaces them.</summary>
    public byte[] Value { get; }

    public Journal.SecretVersion ToJournal() => new(Name, Provider, Version, Fingerprint);

    public void Clear() => CryptographicOperations.ZeroMemory(Value);

    public override string ToString() => $"CurrentSecret({Name} from {Provider}, version {Version}, {Fingerprint})";
}
