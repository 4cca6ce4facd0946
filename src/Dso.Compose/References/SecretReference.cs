using System.Globalization;
using Dso.Core;

namespace Dso.Compose.References;

/// <summary>How a referenced secret reaches its container.</summary>
internal enum InjectionKind
{
    /// <summary>dso://NAME: the value becomes the environment variable.</summary>
    Environment,

    /// <summary>dsofile://NAME: the variable becomes the in-container path of a read-only file holding the value.</summary>
    File,
}

/// <summary>
/// A parsed dso:// or dsofile:// reference. A file reference may set the file's owner and mode with a query,
/// as in dsofile://shop/tls/key?uid=101&amp;gid=101&amp;mode=0440.
/// </summary>
internal sealed record SecretReference(InjectionKind Kind, string SecretName, int? Uid, int? Gid, UnixFileMode? Mode)
{
    public const string EnvironmentScheme = "dso://";
    public const string FileScheme = "dsofile://";

    public static bool LooksLikeReference(string value) =>
        value.StartsWith(EnvironmentScheme, StringComparison.Ordinal) || value.StartsWith(FileScheme, StringComparison.Ordinal);

    /// <summary>Parses a reference; <paramref name="location"/> names the file and key for error messages.</summary>
    public static SecretReference Parse(string value, string location)
    {
        InjectionKind kind = value.StartsWith(FileScheme, StringComparison.Ordinal) ? InjectionKind.File : InjectionKind.Environment;
        string rest = value[(kind == InjectionKind.File ? FileScheme.Length : EnvironmentScheme.Length)..];
        string name = rest;
        int? uid = null, gid = null;
        UnixFileMode? mode = null;

        int query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            name = rest[..query];
            if (kind == InjectionKind.Environment)
            {
                throw Invalid(value, location, "options after '?' apply to dsofile:// references only");
            }

            foreach (string pair in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                string key = equals < 0 ? pair : pair[..equals];
                string text = equals < 0 ? string.Empty : pair[(equals + 1)..];
                switch (key)
                {
                    case "uid":
                        uid = ParseId(text, value, location, key);
                        break;
                    case "gid":
                        gid = ParseId(text, value, location, key);
                        break;
                    case "mode":
                        mode = ParseMode(text, value, location);
                        break;
                    default:
                        throw Invalid(value, location, $"unknown option \"{key}\" (expected uid, gid or mode)");
                }
            }
        }

        if (!Core.Names.SecretName.IsValid(name))
        {
            throw Invalid(value, location, "the secret name is invalid: use segments of letters, digits, '.', '_' and '-' separated by '/'");
        }

        return new SecretReference(kind, name, uid, gid, mode);
    }

    public override string ToString() => (Kind == InjectionKind.File ? FileScheme : EnvironmentScheme) + SecretName;

    private static int ParseId(string text, string value, string location, string key) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int id)
            ? id
            : throw Invalid(value, location, $"{key} must be a number, not \"{text}\"");

    private static UnixFileMode ParseMode(string text, string value, string location)
    {
        try
        {
            int mode = Convert.ToInt32(text, 8);
            if (mode is < 0 or > 0x1FF)
            {
                throw Invalid(value, location, $"mode must be an octal permission such as 0400, not \"{text}\"");
            }

            return (UnixFileMode)mode;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or OverflowException)
        {
            throw Invalid(value, location, $"mode must be an octal permission such as 0400, not \"{text}\"");
        }
    }

    private static DsoException Invalid(string value, string location, string reason) =>
        new($"Invalid secret reference \"{value}\" in {location}: {reason}.");
}
