namespace Dso.Compose.Secrets;

/// <summary>
/// Decides by name and value whether an environment variable contains a secret. The rule is a heuristic, stated in
/// full in <see cref="RuleText"/> (the help of dso migrate), and --secret and --plain override it per name.
/// </summary>
internal static class SecretClassifier
{
    /// <summary>The rule in words for the help of dso migrate. The word lists come from the sets below, so the text cannot drift from the code.</summary>
    public static string RuleText => $"""
        Which variables become secrets: a variable named by --secret, or else (unless --plain names it)
          - a name that contains {Words(SecretWords)}, or has a part (between '_', '.' or '-') that is
            {Words(SecretParts)}, unless a part is {Words(PublicParts)}, or the last part describes the secret
            rather than holding it: {Words(DescriptiveLastParts)};
          - a name with a part {Words(UrlParts)} whose value has user info (scheme://user@host);
          - any value with a password in a URL (scheme://user:password@host);
          - a value that refers to such a variable, as DB_URL: postgres://app:${"{"}DB_PASSWORD{"}"}@db does.
        A *_FILE variable whose value is an absolute path, and an empty or unset variable, stay plain.
        --secret and --plain take the variable's name in the container or the .env variable it refers to.
        """;

    private static readonly string[] SecretWords = ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "APIKEY", "ACCESSKEY"];

    private static readonly HashSet<string> SecretParts = new(["KEY", "PASS", "PWD", "AUTH", "SALT"], StringComparer.Ordinal);

    private static readonly HashSet<string> PublicParts = new(["PUBLIC", "PUBLISHABLE", "PUB"], StringComparer.Ordinal);

    private static readonly HashSet<string> UrlParts = new(["URL", "URI", "DSN"], StringComparer.Ordinal);

    private static readonly HashSet<string> DescriptiveLastParts = new(
        [
            "ID", "USER", "USERNAME", "NAME", "LOGIN", "EMAIL", "HOST", "HOSTNAME", "PORT", "PATH", "DIR", "URL", "URI",
            "ENDPOINT", "REGION", "TTL", "TIMEOUT", "EXPIRY", "EXPIRES", "EXPIRATION", "LIFETIME", "LENGTH", "SIZE",
            "BITS", "ENABLED", "ENABLE", "DISABLED", "REQUIRED", "ALGORITHM", "ALG", "TYPE", "KIND", "MODE", "HEADER",
            "FORMAT", "VERSION", "COUNT", "MAX", "MIN", "POLICY", "PREFIX", "SUFFIX", "ISSUER", "AUDIENCE", "SCOPE",
            "FIELD", "PARAM", "LOCATION", "ROTATION", "INTERVAL",
        ],
        StringComparer.Ordinal);

    private static string Words(IEnumerable<string> words)
    {
        string[] list = [.. words];
        return list.Length == 1 ? list[0] : string.Join(", ", list[..^1]) + " or " + list[^1];
    }

    /// <summary>Returns true when the name alone marks a secret (the first rule of <see cref="RuleText"/>).</summary>
    public static bool NameLooksSecret(string name)
    {
        string upper = name.ToUpperInvariant();
        if (upper.EndsWith("_FILE", StringComparison.Ordinal))
        {
            upper = upper[..^"_FILE".Length];
        }

        string[] parts = upper.Split(['_', '.', '-'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(PublicParts.Contains) || DescriptiveLastParts.Contains(parts[^1]))
        {
            return false;
        }

        return SecretWords.Any(word => upper.Contains(word, StringComparison.Ordinal)) || parts.Any(SecretParts.Contains);
    }

    /// <summary>Returns true for a name such as DATABASE_URL or SENTRY_DSN, whose value is secret when it has user info.</summary>
    public static bool NameIsUrl(string name) =>
        name.ToUpperInvariant().Split(['_', '.', '-'], StringSplitOptions.RemoveEmptyEntries).Any(UrlParts.Contains);

    /// <summary>Returns true when <paramref name="value"/> has scheme://userinfo@ and the user info has a password.</summary>
    public static bool HasUrlPassword(string value) => FindUserInfo(value) is { } userInfo && userInfo.Contains(':', StringComparison.Ordinal);

    /// <summary>Returns true when <paramref name="value"/> has scheme://userinfo@ (with or without a password).</summary>
    public static bool HasUrlUserInfo(string value) => FindUserInfo(value) is { Length: > 0 };

    /// <summary>
    /// Classifies one variable. <paramref name="referencedNames"/> are the variables its value as written refers to,
    /// <paramref name="value"/> is what Compose gives it.
    /// </summary>
    public static SecretDecision Classify(string variable, IReadOnlyList<string> referencedNames, string? value, IReadOnlySet<string> forcedSecret, IReadOnlySet<string> forcedPlain)
    {
        if (value is not null && References.SecretReference.LooksLikeReference(value))
        {
            return new SecretDecision(SecretVerdict.AlreadyReference, "already a dso reference");
        }

        string[] names = [variable, .. referencedNames];
        if (names.FirstOrDefault(forcedPlain.Contains) is { } plainName)
        {
            return new SecretDecision(SecretVerdict.Plain, $"--plain {plainName}");
        }

        if (names.FirstOrDefault(forcedSecret.Contains) is { } secretName)
        {
            return value is null ? new SecretDecision(SecretVerdict.Plain, "unset") : new SecretDecision(SecretVerdict.Secret, $"--secret {secretName}");
        }

        if (value is null)
        {
            return new SecretDecision(SecretVerdict.Plain, "unset");
        }

        if (value.Length == 0)
        {
            return new SecretDecision(SecretVerdict.Plain, "empty");
        }

        if (variable.EndsWith("_FILE", StringComparison.OrdinalIgnoreCase) && value.StartsWith('/'))
        {
            return new SecretDecision(SecretVerdict.Plain, "a path to a file");
        }

        if (NameLooksSecret(variable))
        {
            return new SecretDecision(SecretVerdict.Secret, "name");
        }

        if (HasUrlPassword(value) || (NameIsUrl(variable) && HasUrlUserInfo(value)))
        {
            return new SecretDecision(SecretVerdict.Secret, "URL with user info");
        }

        if (referencedNames.FirstOrDefault(NameLooksSecret) is { } referenced)
        {
            return new SecretDecision(SecretVerdict.Secret, $"refers to {referenced}");
        }

        return new SecretDecision(SecretVerdict.Plain, "not a secret by name or value");
    }

    private static string? FindUserInfo(string value)
    {
        int scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0 || !value[..scheme].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            return null;
        }

        string rest = value[(scheme + 3)..];
        int authorityEnd = rest.IndexOfAny(['/', '?', '#']);
        string authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        int at = authority.LastIndexOf('@');
        return at < 0 ? null : authority[..at];
    }
}
