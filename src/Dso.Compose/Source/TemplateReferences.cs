using Dso.Compose.Env;

namespace Dso.Compose.Source;

/// <summary>Finds the variables a Compose interpolation template refers to, without looking any value up.</summary>
internal static class TemplateReferences
{
    /// <summary>
    /// Returns true when <paramref name="template"/> is one reference and nothing else: $NAME, ${NAME}, or ${NAME}
    /// with a :-, -, :? or ? modifier whose word contains no further reference. Such a value is the variable's own
    /// value (or its default), so the variable's name can name the secret.
    /// </summary>
    public static bool TryGetSingleReference(string template, out string name)
    {
        name = string.Empty;
        if (template.Length < 2 || template[0] != '$')
        {
            return false;
        }

        if (template[1] != '{')
        {
            int length = NameLength(template, 1);
            if (length == 0 || 1 + length != template.Length)
            {
                return false;
            }

            name = template[1..];
            return true;
        }

        int nameLength = NameLength(template, 2);
        if (nameLength == 0 || template[^1] != '}')
        {
            return false;
        }

        string rest = template[(2 + nameLength)..^1];
        bool plain = rest.Length == 0;
        bool modifier = rest.StartsWith(":-", StringComparison.Ordinal) || rest.StartsWith(":?", StringComparison.Ordinal)
            || rest.StartsWith('-') || rest.StartsWith('?');
        if (!plain && !(modifier && rest.IndexOfAny(['$', '{', '}']) < 0))
        {
            return false;
        }

        name = template.Substring(2, nameLength);
        return true;
    }

    /// <summary>Lists the names of the variables <paramref name="template"/> refers to, in order and each once. An escaped $$ is skipped.</summary>
    public static IReadOnlyList<string> Names(string template)
    {
        var names = new List<string>();
        for (int i = 0; i < template.Length - 1; i++)
        {
            if (template[i] != '$')
            {
                continue;
            }

            if (template[i + 1] == '$')
            {
                i++;
                continue;
            }

            int start = template[i + 1] == '{' ? i + 2 : i + 1;
            int length = NameLength(template, start);
            if (length > 0 && !names.Contains(template.Substring(start, length)))
            {
                names.Add(template.Substring(start, length));
            }
        }

        return names;
    }

    /// <summary>Returns true when the template has a reference, so its value is not its literal text.</summary>
    public static bool HasReference(string template) => Interpolator.ContainsReference(template);

    private static int NameLength(string text, int start)
    {
        if (start >= text.Length || !TemplateParser.IsNameStart(text[start]))
        {
            return 0;
        }

        int end = start + 1;
        while (end < text.Length && (text[end] == '_' || char.IsAsciiLetterOrDigit(text[end])))
        {
            end++;
        }

        return end - start;
    }
}
