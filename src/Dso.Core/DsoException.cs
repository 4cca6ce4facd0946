namespace Dso.Core;

/// <summary>
/// An error the user can act on: the message names the file, secret or container involved and
/// says what to do next. The CLI prints the message alone, without a stack trace.
/// </summary>
public class DsoException : Exception
{
    public DsoException(string message)
        : base(message)
    {
    }

    public DsoException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DsoException()
    {
    }

    /// <summary>Process exit code: 1 for a failure, 2 for a usage error.</summary>
    public int ExitCode { get; init; } = 1;
}
