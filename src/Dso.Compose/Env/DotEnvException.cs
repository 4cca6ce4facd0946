using Dso.Core;

namespace Dso.Compose.Env;

/// <summary>
/// A .env file that cannot be read: a syntax error, an interpolation error or bytes that are not
/// UTF-8. The message names the file and line, states the fix, and never contains a value.
/// </summary>
public sealed class DotEnvException : DsoException
{
    public DotEnvException(string sourceName, int line, string message)
        : base(message)
    {
        SourceName = sourceName;
        Line = line;
    }

    public DotEnvException(string sourceName, int line, string message, Exception innerException)
        : base(message, innerException)
    {
        SourceName = sourceName;
        Line = line;
    }

    /// <summary>Path of the .env file, as given to the parser.</summary>
    public string SourceName { get; }

    /// <summary>1-based line of the error. For an unterminated quote, the line where the quote opens.</summary>
    public int Line { get; }
}
