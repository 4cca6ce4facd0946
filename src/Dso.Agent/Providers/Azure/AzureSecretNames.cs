using System.Text;

namespace Dso.Agent.Providers.Azure;

/// <summary>
/// Maps a dso path to a Key Vault secret name and back. Key Vault names allow only ASCII letters, digits and
/// '-', 1 to 127 characters, and ignore case. The mapping works like percent-encoding with "--" in place of '%'.
/// Letters and digits stay as they are. Every other character becomes "--" and two lowercase hex digits per
/// UTF-8 byte, so "shop/db" becomes "shop--2fdb". A '-' stays as it is only when a letter or digit follows it,
/// and otherwise becomes "--2d". So a lone '-' is always followed by a letter or digit and "--" always starts
/// an escape, which makes the mapping reversible.
/// </summary>
internal static class AzureSecretNames
{
    public const int MaxLength = 127;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Maps a dso path to its Key Vault name, or returns null with the reason when it has none.</summary>
    public static string? ToKeyVaultName(string path, out string? problem)
    {
        problem = null;
        if (path.Length == 0)
        {
            problem = "is empty";
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(path);
        }
        catch (EncoderFallbackException)
        {
            problem = "is not valid Unicode text";
            return null;
        }

        var name = new StringBuilder(bytes.Length);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte current = bytes[i];
            bool isLetterOrDigit = char.IsAsciiLetterOrDigit((char)current);
            bool isPlainDash = current == (byte)'-' && i + 1 < bytes.Length && char.IsAsciiLetterOrDigit((char)bytes[i + 1]);
            if (isLetterOrDigit || isPlainDash)
            {
                name.Append((char)current);
            }
            else
            {
                name.Append("--").Append(Convert.ToHexStringLower([current]));
            }
        }

        if (name.Length > MaxLength)
        {
            problem = $"maps to a Key Vault name of {name.Length} characters, and Key Vault allows at most {MaxLength}";
            return null;
        }

        return name.ToString();
    }

    /// <summary>
    /// Maps a Key Vault name back to the dso path, or returns null when <see cref="ToKeyVaultName"/> produces no
    /// such name. Hex digits are accepted in either case, as Key Vault may return a name in another case.
    /// </summary>
    public static string? FromKeyVaultName(string name)
    {
        if (name.Length is 0 or > MaxLength)
        {
            return null;
        }

        var bytes = new List<byte>(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            char current = name[i];
            if (char.IsAsciiLetterOrDigit(current))
            {
                bytes.Add((byte)current);
            }
            else if (current != '-')
            {
                return null;
            }
            else if (i + 1 < name.Length && name[i + 1] == '-')
            {
                if (i + 3 >= name.Length || !char.IsAsciiHexDigit(name[i + 2]) || !char.IsAsciiHexDigit(name[i + 3]))
                {
                    return null;
                }

                bytes.Add(Convert.FromHexString(name.AsSpan(i + 2, 2))[0]);
                i += 3;
            }
            else if (i + 1 < name.Length && char.IsAsciiLetterOrDigit(name[i + 1]))
            {
                bytes.Add((byte)'-');
            }
            else
            {
                return null;
            }
        }

        string path;
        try
        {
            path = StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        // An escaped letter ("--61") or a needless "--2d" decodes, but no path maps to it.
        return string.Equals(ToKeyVaultName(path, out _), name, StringComparison.OrdinalIgnoreCase) ? path : null;
    }

    /// <summary>
    /// Finds the paths that map to the same Key Vault name, compared without case as Key Vault compares them.
    /// Each collision pairs a path with the first path seen that has the same name.
    /// </summary>
    public static IReadOnlyList<(string First, string Second, string KeyVaultName)> FindCollisions(IEnumerable<string> paths)
    {
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var collisions = new List<(string, string, string)>();
        foreach (string path in paths.Distinct(StringComparer.Ordinal))
        {
            if (ToKeyVaultName(path, out _) is not { } name)
            {
                continue;
            }

            if (seen.TryGetValue(name, out string? first))
            {
                collisions.Add((first, path, name));
            }
            else
            {
                seen[name] = path;
            }
        }

        return collisions;
    }
}
