using System.Globalization;
using System.Text;
using YamlDotNet.Core;

namespace Dso.Compose.Yaml;

/// <summary>Writes a string as a YAML scalar, in the quoting style of the scalar it replaces when that style can represent it.</summary>
internal static class YamlScalarWriter
{
    private static readonly string[] NonStringPlainWords = ["null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"];

    /// <summary>
    /// Writes <paramref name="value"/> in <paramref name="style"/>. A plain scalar stays plain only when the value
    /// reads back as the same string, and a block scalar (| or &gt;) becomes plain. Any other case uses double quotes.
    /// </summary>
    public static string Write(string value, ScalarStyle style, bool inFlow) => style switch
    {
        ScalarStyle.SingleQuoted when !value.Any(char.IsControl) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'",
        ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted => DoubleQuoted(value),
        _ => IsSafePlain(value, inFlow) ? value : DoubleQuoted(value),
    };

    public static string DoubleQuoted(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>
    /// Returns true when <paramref name="value"/> can be written unquoted and still read back as the same string,
    /// by YAML 1.1 parsers (PyYAML, used by docker-compose 1.x) as well as YAML 1.2 ones. In a flow collection any
    /// ':' needs quotes, because older PyYAML versions reject it there.
    /// </summary>
    public static bool IsSafePlain(string value, bool inFlow)
    {
        if (value.Length == 0 || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            return false;
        }

        if ("-?:,[]{}#&*!|>'\"%@`".Contains(value[0], StringComparison.Ordinal))
        {
            return false;
        }

        if (value.Any(char.IsControl) || value.Contains(": ", StringComparison.Ordinal) || value.Contains(" #", StringComparison.Ordinal) || value.EndsWith(':'))
        {
            return false;
        }

        if (inFlow && value.IndexOfAny([',', '[', ']', '{', '}', ':']) >= 0)
        {
            return false;
        }

        return !NonStringPlainWords.Contains(value, StringComparer.OrdinalIgnoreCase)
            && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && !value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && !value.StartsWith("0o", StringComparison.OrdinalIgnoreCase);
    }
}
