using System.Text;

namespace Dso.Compose.Env;

/// <summary>
/// Recursive-descent evaluator of one interpolation template, used by <see cref="Interpolator"/>.
/// A default, alternative or error message is read without being evaluated unless Compose would
/// use it, so <c>${A:-${B:?missing}}</c> does not fail while A is set.
/// </summary>
internal sealed class TemplateParser
{
    private readonly string _template;
    private readonly Func<string, string?> _lookup;
    private readonly string _location;
    private readonly Action<string>? _onUnsetVariable;
    private int _position;

    public TemplateParser(string template, Func<string, string?> lookup, string location, Action<string>? onUnsetVariable)
    {
        _template = template;
        _lookup = lookup;
        _location = location;
        _onUnsetVariable = onUnsetVariable;
    }

    public string Evaluate()
    {
        var output = new StringBuilder(_template.Length);
        ReadText(output, insideBraces: false);
        return output.ToString();
    }

    /// <summary>
    /// Returns true when a variable name may start with <paramref name="c"/>. Compose matches names with
    /// <c>[_a-zA-Z][_a-zA-Z0-9]*</c>, so a name is ASCII only.
    /// </summary>
    public static bool IsNameStart(char c)
    {
        return c == '_' || char.IsAsciiLetter(c);
    }

    private static bool IsNamePart(char c)
    {
        return c == '_' || char.IsAsciiLetterOrDigit(c);
    }

    /// <summary>
    /// Reads literal text and references up to the end of the template or, inside braces, up to the
    /// <c>}</c> that closes the enclosing reference, which it leaves unread. A <c>{</c> inside braces
    /// opens a literal pair that the next <c>}</c> closes, as in compose-go. A null
    /// <paramref name="output"/> checks the syntax without looking up or writing anything.
    /// Returns false when the closing brace is missing.
    /// </summary>
    private bool ReadText(StringBuilder? output, bool insideBraces)
    {
        int literalBraceDepth = 0;
        while (_position < _template.Length)
        {
            char c = _template[_position];
            if (c == '$')
            {
                ReadDollar(output);
                continue;
            }

            if (insideBraces && c == '}')
            {
                if (literalBraceDepth == 0)
                {
                    return true;
                }

                literalBraceDepth--;
            }
            else if (insideBraces && c == '{')
            {
                literalBraceDepth++;
            }

            output?.Append(c);
            _position++;
        }

        return !insideBraces;
    }

    private void ReadDollar(StringBuilder? output)
    {
        char next = _position + 1 < _template.Length ? _template[_position + 1] : '\0';
        if (next == '$')
        {
            output?.Append('$');
            _position += 2;
            return;
        }

        if (IsNameStart(next))
        {
            _position++;
            string name = ReadName();
            output?.Append(ResolvePlain(name));
            return;
        }

        if (next == '{')
        {
            ReadBraced(output);
            return;
        }

        // "$(", "$1", a "$" at the end and the like are not references, and Compose keeps them as text.
        output?.Append('$');
        _position++;
    }

    /// <summary>Reads a <c>${...}</c> reference starting at its <c>$</c>.</summary>
    private void ReadBraced(StringBuilder? output)
    {
        int start = _position;
        _position += 2;
        string name = ReadName();
        if (name.Length == 0)
        {
            throw SyntaxError(
                $"'${{' at character {start + 1} is not followed by a variable name. "
                + "Start the name with a letter or '_', or write '$$' for a literal '$'.");
        }

        if (_position >= _template.Length)
        {
            throw UnclosedReference(start);
        }

        if (_template[_position] == '}')
        {
            _position++;
            output?.Append(ResolvePlain(name));
            return;
        }

        bool colon = _template[_position] == ':';
        if (colon)
        {
            _position++;
        }

        if (_position >= _template.Length)
        {
            throw UnclosedReference(start);
        }

        char modifier = _template[_position];
        if (modifier is not ('-' or '+' or '?'))
        {
            throw SyntaxError(
                $"the reference to {name} at character {start + 1} uses an unsupported modifier. "
                + "Compose supports only :-, -, :?, ?, :+ and +.");
        }

        _position++;
        ApplyModifier(output, start, name, colon, modifier);
    }

    /// <summary>
    /// Reads the word after a modifier up to the closing brace and writes the result. With the colon,
    /// an empty variable counts as unset.
    /// </summary>
    private void ApplyModifier(StringBuilder? output, int start, string name, bool colon, char modifier)
    {
        string? value = output is null ? null : _lookup(name);
        bool isSet = value is not null && (!colon || value.Length > 0);

        switch (modifier)
        {
            case '-':
                ReadWord(start, isSet ? null : output);
                if (isSet)
                {
                    output?.Append(value);
                }

                break;

            case '+':
                ReadWord(start, isSet ? output : null);
                break;

            default:
                int wordStart = _position;
                ReadWord(start, output: null);
                if (output is not null && !isSet)
                {
                    string message = _template[wordStart..(_position - 1)];
                    throw RequiredVariableMissing(name, colon, message);
                }

                output?.Append(value);
                break;
        }
    }

    /// <summary>Reads up to and including the brace that closes the reference starting at <paramref name="start"/>.</summary>
    private void ReadWord(int start, StringBuilder? output)
    {
        if (!ReadText(output, insideBraces: true))
        {
            throw UnclosedReference(start);
        }

        _position++;
    }

    private string ReadName()
    {
        int start = _position;
        if (_position < _template.Length && IsNameStart(_template[_position]))
        {
            _position++;
            while (_position < _template.Length && IsNamePart(_template[_position]))
            {
                _position++;
            }
        }

        return _template[start.._position];
    }

    private string ResolvePlain(string name)
    {
        string? value = _lookup(name);
        if (value is null)
        {
            _onUnsetVariable?.Invoke(name);
            return string.Empty;
        }

        return value;
    }

    private InterpolationException UnclosedReference(int start)
    {
        return SyntaxError(
            $"'${{' at character {start + 1} has no closing '}}'. Add the '}}', or write '$$' for a literal '$'.");
    }

    private InterpolationException SyntaxError(string reason)
    {
        return new InterpolationException(_location, "invalid interpolation syntax: " + reason, variableName: null);
    }

    /// <summary>
    /// Builds the error for a missing required variable. The user's message is quoted as written:
    /// unlike compose-go, references inside it are not expanded, so the message cannot carry a value.
    /// </summary>
    private InterpolationException RequiredVariableMissing(string name, bool colon, string message)
    {
        string state = colon ? "is not set or is empty" : "is not set";
        string reason = message.Length > 0
            ? $"required variable {name} {state}: {message}"
            : $"required variable {name} {state}. Set {name}, or give it a default with ${{{name}:-default}}.";
        return new InterpolationException(_location, reason, name);
    }
}
