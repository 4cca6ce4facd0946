using System.Text;

namespace Dso.Compose.Env;

/// <summary>
/// Reader that splits the text of a .env file into statements: keys, quoting, escapes and comments,
/// without interpolation. The rules follow the dotenv parser of compose-go v2, the library Docker
/// Compose uses. Each deviation from it is noted where it occurs.
/// </summary>
internal sealed class DotEnvScanner
{
    private const string ExportPrefix = "export";

    private readonly string _text;
    private readonly string _sourceName;
    private readonly bool _escapeDollarForInterpolation;
    private int _position;
    private int _line = 1;
    private int _lineStart;

    /// <param name="text">The text of the file, with CRLF line endings already turned into LF.</param>
    /// <param name="sourceName">The file path that starts every error message.</param>
    /// <param name="escapeDollarForInterpolation">
    /// True turns a <c>\$</c> escape in a double-quoted value into <c>$$</c>, which the interpolator
    /// then writes as a literal <c>$</c>. False writes <c>$</c> at once, for a read without interpolation.
    /// </param>
    public DotEnvScanner(string text, string sourceName, bool escapeDollarForInterpolation)
    {
        _text = text;
        _sourceName = sourceName;
        _escapeDollarForInterpolation = escapeDollarForInterpolation;
    }

    /// <summary>Reads the next statement, or returns null at the end of the file.</summary>
    /// <exception cref="DotEnvException">The statement is not valid .env syntax.</exception>
    public DotEnvStatement? ReadStatement()
    {
        SkipBlankLinesAndComments();
        if (_position >= _text.Length)
        {
            return null;
        }

        int line = _line;
        SkipExportPrefix();
        string key = ReadKey();

        int keyEnd = _position;
        SkipInlineSpace();
        if (AtLineEnd())
        {
            return new DotEnvStatement(key, Value: null, IsLiteral: true, line);
        }

        char separator = _text[_position];
        if (separator == '#')
        {
            // A comment after a bare key is accepted here, while compose-go rejects the line.
            SkipRestOfLine();
            return new DotEnvStatement(key, Value: null, IsLiteral: true, line);
        }

        // compose-go also accepts the YAML style "KEY: value".
        if (separator is not ('=' or ':'))
        {
            bool nameContainsSpace = _position > keyEnd && IsKeyPart(Rune.GetRuneAt(_text, _position));
            if (nameContainsSpace)
            {
                throw Error(
                    line,
                    $"the variable name {key} is followed by a space and more text at column {Column()}. "
                    + "Remove the space, or put '=' between the name and the value.");
            }

            throw InvalidKeyCharacter(line);
        }

        _position++;
        SkipInlineSpace();
        if (_position < _text.Length && _text[_position] is '"' or '\'')
        {
            return ReadQuotedValue(key, line);
        }

        return new DotEnvStatement(key, ReadUnquotedValue(), IsLiteral: false, line);
    }

    /// <summary>
    /// Returns true when a key may start with <paramref name="rune"/>. compose-go also accepts a
    /// leading digit, but such a name cannot be referenced in interpolation, so it is rejected here.
    /// </summary>
    private static bool IsKeyStart(Rune rune)
    {
        return rune.Value == '_' || Rune.IsLetter(rune);
    }

    /// <summary>
    /// Returns true for a character that compose-go accepts in a key: a Unicode letter or number,
    /// '_', '.', '-', '[' or ']'.
    /// </summary>
    private static bool IsKeyPart(Rune rune)
    {
        return rune.Value is '_' or '.' or '-' or '[' or ']' || Rune.IsLetter(rune) || Rune.IsNumber(rune);
    }

    /// <summary>
    /// Returns true for whitespace other than a line feed. The set matches compose-go, which includes
    /// a lone carriage return, NEL and the no-break space.
    /// </summary>
    private static bool IsInlineSpace(char c)
    {
        return c is ' ' or '\t' or '\v' or '\f' or '\r' or '\u0085' or '\u00A0';
    }

    private string ReadKey()
    {
        int start = _position;
        if (!IsKeyStart(Rune.GetRuneAt(_text, _position)))
        {
            char c = _text[_position];
            if (c is '=' or ':')
            {
                throw Error(_line, $"the line has no variable name before '{c}'. Write it as NAME=value.");
            }

            throw InvalidKeyCharacter(_line);
        }

        while (_position < _text.Length)
        {
            Rune rune = Rune.GetRuneAt(_text, _position);
            if (!IsKeyPart(rune))
            {
                break;
            }

            _position += rune.Utf16SequenceLength;
        }

        return _text[start.._position];
    }

    /// <summary>
    /// Reads an unquoted value to the end of the line. A comment starts at " #" (a space, not a tab,
    /// as in compose-go), and trailing whitespace is trimmed.
    /// </summary>
    /// <remarks>
    /// NOTE: like compose-go, the whitespace after '=' is skipped before the comment is searched, so
    /// "KEY= # note" gives the value "# note", not an empty string.
    /// </remarks>
    private string ReadUnquotedValue()
    {
        int end = _text.IndexOf('\n', _position);
        if (end < 0)
        {
            end = _text.Length;
        }

        string value = _text[_position..end];
        _position = end;

        int comment = value.IndexOf(" #", StringComparison.Ordinal);
        if (comment >= 0)
        {
            value = value[..comment];
        }

        return value.TrimEnd();
    }

    /// <summary>
    /// Reads a quoted value, which may span lines. In both kinds of quotes a backslash before the
    /// quote character gives the quote itself. A single-quoted value keeps every other backslash,
    /// and a double-quoted value resolves the escapes in <see cref="AppendDoubleQuotedEscape"/>.
    /// </summary>
    private DotEnvStatement ReadQuotedValue(string key, int line)
    {
        char quote = _text[_position];
        _position++;

        var value = new StringBuilder();
        while (_position < _text.Length)
        {
            char c = Advance();
            if (c == quote)
            {
                SkipCommentAfterClosingQuote(key);
                return new DotEnvStatement(key, value.ToString(), IsLiteral: quote == '\'', line);
            }

            if (c != '\\')
            {
                value.Append(c);
                continue;
            }

            if (_position >= _text.Length)
            {
                break;
            }

            char escaped = Advance();
            if (escaped == quote)
            {
                value.Append(quote);
            }
            else if (quote == '"')
            {
                AppendDoubleQuotedEscape(value, escaped);
            }
            else
            {
                value.Append('\\').Append(escaped);
            }
        }

        string kind = quote == '"' ? "double" : "single";
        throw Error(
            line,
            $"the value of {key} opens a {kind} quote that is never closed. "
            + $"Add the closing {quote}, or write a {quote} inside the value as \\{quote}.");
    }

    /// <summary>
    /// Appends the character for the escape <c>\</c><paramref name="escaped"/>. These are the escapes
    /// that compose-go resolves: \a \b \f \n \r \t \v \\ \$ and an octal \0NNN. Any other backslash
    /// stays in the value together with the character after it.
    /// </summary>
    private void AppendDoubleQuotedEscape(StringBuilder value, char escaped)
    {
        switch (escaped)
        {
            case 'a':
                value.Append('\a');
                break;
            case 'b':
                value.Append('\b');
                break;
            case 'f':
                value.Append('\f');
                break;
            case 'n':
                value.Append('\n');
                break;
            case 'r':
                value.Append('\r');
                break;
            case 't':
                value.Append('\t');
                break;
            case 'v':
                value.Append('\v');
                break;
            case '\\':
                value.Append('\\');
                break;
            case '$':
                value.Append(_escapeDollarForInterpolation ? "$$" : "$");
                break;
            case '0':
                AppendOctalEscape(value);
                break;
            default:
                value.Append('\\').Append(escaped);
                break;
        }
    }

    /// <summary>
    /// Appends the character for <c>\0</c> followed by three octal digits (at most \0377).
    /// </summary>
    /// <remarks>
    /// NOTE: for any other digits after \0, compose-go drops the 0 and keeps the backslash and the
    /// digits, so "\0" gives "\" and "\012" gives "\12". This copies that behaviour to produce the
    /// same value as Compose.
    /// </remarks>
    private void AppendOctalEscape(StringBuilder value)
    {
        int start = _position;
        while (_position < _text.Length && _position - start < 3 && char.IsAsciiDigit(_text[_position]))
        {
            _position++;
        }

        string digits = _text[start.._position];
        if (digits.Length == 3 && digits.All(d => d <= '7'))
        {
            int code = Convert.ToInt32(digits, fromBase: 8);
            if (code <= 0xFF)
            {
                value.Append((char)code);
                return;
            }
        }

        value.Append('\\').Append(digits);
    }

    /// <summary>
    /// Skips whitespace and a comment after a closing quote. compose-go reads any other text there as
    /// the start of the next statement, which hides typos, so it is an error here.
    /// </summary>
    private void SkipCommentAfterClosingQuote(string key)
    {
        SkipInlineSpace();
        if (AtLineEnd())
        {
            return;
        }

        if (_text[_position] == '#')
        {
            SkipRestOfLine();
            return;
        }

        throw Error(
            _line,
            $"unexpected text after the closing quote of {key} at column {Column()}. "
            + "Remove it, or start a comment with '#'.");
    }

    private void SkipBlankLinesAndComments()
    {
        while (_position < _text.Length)
        {
            char c = _text[_position];
            if (c == '#')
            {
                SkipRestOfLine();
            }
            else if (c == '\n' || IsInlineSpace(c))
            {
                Advance();
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>
    /// Skips "export" and the whitespace after it when a key follows, so that "export=1" and a bare
    /// "export" line still define a variable named export.
    /// </summary>
    private void SkipExportPrefix()
    {
        if (!_text.AsSpan(_position).StartsWith(ExportPrefix, StringComparison.Ordinal))
        {
            return;
        }

        int afterPrefix = _position + ExportPrefix.Length;
        int keyStart = afterPrefix;
        while (keyStart < _text.Length && IsInlineSpace(_text[keyStart]))
        {
            keyStart++;
        }

        if (keyStart > afterPrefix && keyStart < _text.Length && IsKeyStart(Rune.GetRuneAt(_text, keyStart)))
        {
            _position = keyStart;
        }
    }

    private void SkipInlineSpace()
    {
        while (_position < _text.Length && IsInlineSpace(_text[_position]))
        {
            _position++;
        }
    }

    /// <summary>Moves to the line feed that ends the current line, or to the end of the text.</summary>
    private void SkipRestOfLine()
    {
        int end = _text.IndexOf('\n', _position);
        _position = end < 0 ? _text.Length : end;
    }

    private bool AtLineEnd()
    {
        return _position >= _text.Length || _text[_position] == '\n';
    }

    /// <summary>Returns the current character and moves past it, counting lines.</summary>
    private char Advance()
    {
        char c = _text[_position];
        _position++;
        if (c == '\n')
        {
            _line++;
            _lineStart = _position;
        }

        return c;
    }

    /// <summary>Returns the 1-based column of the current position, counted in UTF-16 code units.</summary>
    private int Column()
    {
        return _position - _lineStart + 1;
    }

    private DotEnvException InvalidKeyCharacter(int line)
    {
        return Error(
            line,
            $"invalid character in the variable name at column {Column()}. A name starts with a letter or '_' "
            + "and contains only letters, digits, '_', '.', '-', '[' and ']'.");
    }

    private DotEnvException Error(int line, string detail)
    {
        return new DotEnvException(_sourceName, line, $"{_sourceName}, line {line}: {detail}");
    }
}
