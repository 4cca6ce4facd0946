using System.Text;
using Dso.Core;

namespace Dso.Core.Names;

/// <summary>
/// Rules for vault entry names: one or more '/'-separated segments of letters, digits, '.', '_' and '-',
/// such as "shop/db/password". A name maps one-to-one onto a relative file path, which is why "." and ".."
/// segments, empty segments and control characters are rejected.
/// </summary>
internal static class SecretName
{
    public const int MaxLength = 255;

    public static void Validate(string name)
    {
        string? problem = FindProblem(name);
        if (problem is not null)
        {
            throw new DsoException($"Invalid secret name {Quote(name)}: {problem}. Use segments of letters, digits, '.', '_' and '-' separated by '/', for example \"myapp/db/password\".")
            {
                ExitCode = 2,
            };
        }
    }

    public static bool IsValid(string name) => FindProblem(name) is null;

    /// <summary>Quotes a name for a message, escaping control characters so that they are visible.</summary>
    public static string Quote(string name)
    {
        var builder = new StringBuilder(name.Length + 2).Append('"');
        foreach (char c in name)
        {
            // Format characters such as U+202E (right-to-left override) would reorder the message on a terminal.
            if (char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append('"').ToString();
    }

    private static string? FindProblem(string name)
    {
        if (name.Length == 0)
        {
            return "the name is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"the name is longer than {MaxLength} characters";
        }

        if (name.Any(char.IsControl))
        {
            return "it contains a control character";
        }

        foreach (string segment in name.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "it contains an empty segment (a leading, trailing or doubled '/')";
            }

            if (segment is "." or "..")
            {
                return $"the segment \"{segment}\" is not allowed";
            }

            foreach (char c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                {
                    return $"the character '{c}' is not allowed";
                }
            }
        }

        return null;
    }
}
