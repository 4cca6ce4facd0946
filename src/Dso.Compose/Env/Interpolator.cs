namespace Dso.Compose.Env;

/// <summary>
/// Compose variable interpolation: <c>$VAR</c>, <c>${VAR}</c>, the <c>:-</c>, <c>-</c>, <c>:?</c>,
/// <c>?</c>, <c>:+</c> and <c>+</c> modifiers, nesting, and <c>$$</c> for a literal <c>$</c>.
/// Nothing is ever executed: <c>$(...)</c> and backticks stay literal text.
/// </summary>
/// <remarks>
/// The rules follow the Compose interpolation reference (docs.docker.com/reference/compose-file/interpolation)
/// and the template package of compose-go v2, the library Docker Compose uses.
/// </remarks>
internal static class Interpolator
{
    /// <summary>
    /// Replaces every reference in <paramref name="template"/> with its value from <paramref name="lookup"/>,
    /// which returns null for an unset variable. An unset variable without a default becomes an
    /// empty string, as in Compose.
    /// </summary>
    /// <param name="location">
    /// Where the template comes from, such as "docker-compose.yml, service web, environment.DB".
    /// It starts every error message.
    /// </param>
    /// <exception cref="InterpolationException">
    /// A required variable (<c>${VAR:?message}</c> or <c>${VAR?message}</c>) is missing, or the syntax is invalid.
    /// </exception>
    public static string Interpolate(string template, Func<string, string?> lookup, string location)
    {
        return Interpolate(template, lookup, location, onUnsetVariable: null);
    }

    /// <summary>
    /// Interpolates like <see cref="Interpolate(string, Func{string, string?}, string)"/> and calls
    /// <paramref name="onUnsetVariable"/> with the name of each unset variable that a plain
    /// <c>$VAR</c> or <c>${VAR}</c> reference replaced with an empty string. Compose prints a warning
    /// for each of these.
    /// </summary>
    public static string Interpolate(
        string template,
        Func<string, string?> lookup,
        string location,
        Action<string>? onUnsetVariable)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(location);

        if (!template.Contains('$', StringComparison.Ordinal))
        {
            return template;
        }

        return new TemplateParser(template, lookup, location, onUnsetVariable).Evaluate();
    }

    /// <summary>
    /// Returns true when <paramref name="template"/> contains at least one <c>${...}</c> or
    /// <c>$NAME</c> reference. An escaped <c>$$</c> does not count. A malformed <c>${</c> counts,
    /// so that <see cref="Interpolate(string, Func{string, string?}, string)"/> reports it.
    /// </summary>
    public static bool ContainsReference(string template)
    {
        ArgumentNullException.ThrowIfNull(template);

        for (int i = 0; i < template.Length - 1; i++)
        {
            if (template[i] != '$')
            {
                continue;
            }

            char next = template[i + 1];
            if (next == '$')
            {
                i++;
                continue;
            }

            if (next == '{' || TemplateParser.IsNameStart(next))
            {
                return true;
            }
        }

        return false;
    }
}
