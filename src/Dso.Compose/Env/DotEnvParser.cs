using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Dso.Compose.Env;

/// <summary>
/// Parser for .env files that follows Docker Compose: comments, <c>export</c>, single and double
/// quotes, escapes, multi-line quoted values and <c>${VAR}</c> interpolation.
/// </summary>
/// <remarks>
/// Sources: the "Set, use, and manage variables in a Compose file with interpolation" page of the
/// Docker documentation, and the dotenv package of compose-go v2, which Docker Compose uses to read
/// these files.
/// </remarks>
internal static class DotEnvParser
{
    private static readonly byte[] Utf8ByteOrderMark = [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Parses a .env file. Unquoted and double-quoted values are interpolated unless
    /// <paramref name="interpolate"/> is false, and single-quoted values never are.
    /// </summary>
    /// <param name="utf8">The file content. A UTF-8 byte order mark at the start is skipped.</param>
    /// <param name="sourceName">The file path, which starts every error and warning message.</param>
    /// <param name="lookup">
    /// Variables from outside the file, usually the process environment, returning null for an unset
    /// variable. As in Compose, a variable from <paramref name="lookup"/> takes precedence over one
    /// defined earlier in the file.
    /// </param>
    /// <param name="interpolate">
    /// False returns the values as written, with quotes and escapes resolved but <c>$</c> references
    /// left alone. A <c>\$</c> escape in a double-quoted value then gives <c>$</c>.
    /// </param>
    /// <exception cref="DotEnvException">
    /// The file is not valid UTF-8, has a syntax error, or a value fails interpolation.
    /// </exception>
    public static DotEnvDocument Parse(
        ReadOnlySpan<byte> utf8,
        string sourceName,
        Func<string, string?>? lookup = null,
        bool interpolate = true)
    {
        ArgumentNullException.ThrowIfNull(sourceName);

        string text = DecodeUtf8(utf8, sourceName).Replace("\r\n", "\n", StringComparison.Ordinal);
        var scanner = new DotEnvScanner(text, sourceName, escapeDollarForInterpolation: interpolate);

        var definitions = new List<DotEnvEntry>();
        var lastIndexByKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var definedVariables = new Dictionary<string, string?>(StringComparer.Ordinal);
        var warnings = new List<DotEnvWarning>();

        while (scanner.ReadStatement() is { } statement)
        {
            string? value = statement.Value;
            if (interpolate && value is not null && !statement.IsLiteral)
            {
                value = InterpolateValue(value, statement, sourceName, ResolveVariable, warnings);
            }

            if (lastIndexByKey.TryGetValue(statement.Key, out int previousIndex))
            {
                int previousLine = definitions[previousIndex].Line;
                warnings.Add(new DotEnvWarning(
                    $"{sourceName}, line {statement.Line}: {statement.Key} is already defined on line {previousLine}. "
                    + $"The value from line {statement.Line} is used.",
                    statement.Line));
            }

            lastIndexByKey[statement.Key] = definitions.Count;
            definedVariables[statement.Key] = value;
            definitions.Add(new DotEnvEntry(statement.Key, value, statement.Line));
        }

        var entries = definitions.Where((entry, index) => lastIndexByKey[entry.Key] == index).ToList();
        return new DotEnvDocument(entries, warnings);

        string? ResolveVariable(string name)
        {
            return lookup?.Invoke(name) ?? definedVariables.GetValueOrDefault(name);
        }
    }

    private static string InterpolateValue(
        string value,
        DotEnvStatement statement,
        string sourceName,
        Func<string, string?> resolveVariable,
        List<DotEnvWarning> warnings)
    {
        string location = $"{sourceName}, line {statement.Line}, value of {statement.Key}";
        try
        {
            return Interpolator.Interpolate(
                value,
                resolveVariable,
                location,
                name => warnings.Add(new DotEnvWarning(
                    $"{location}: the variable {name} is not set, so an empty string was used.",
                    statement.Line)));
        }
        catch (InterpolationException exception)
        {
            throw new DotEnvException(sourceName, statement.Line, exception.Message, exception);
        }
    }

    /// <summary>
    /// Decodes the file and skips a byte order mark. Invalid UTF-8 is an error naming the line of
    /// the first bad byte, because a silent replacement character would corrupt a secret.
    /// </summary>
    private static string DecodeUtf8(ReadOnlySpan<byte> utf8, string sourceName)
    {
        if (utf8.StartsWith(Utf8ByteOrderMark))
        {
            utf8 = utf8[Utf8ByteOrderMark.Length..];
        }

        if (!Utf8.IsValid(utf8))
        {
            int line = FindLineOfInvalidUtf8(utf8);
            throw new DotEnvException(
                sourceName,
                line,
                $"{sourceName}, line {line}: the file contains bytes that are not valid UTF-8. "
                + "Save the file with UTF-8 encoding.");
        }

        return Encoding.UTF8.GetString(utf8);
    }

    private static int FindLineOfInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        int line = 1;
        while (Rune.DecodeFromUtf8(utf8, out Rune rune, out int length) == OperationStatus.Done)
        {
            if (rune.Value == '\n')
            {
                line++;
            }

            utf8 = utf8[length..];
        }

        return line;
    }
}
