using Dso.Core;

namespace Dso.Docker.Compose;

/// <summary>Compose could not be run, or its 'config' command failed. The message never quotes Compose's output.</summary>
internal sealed class ComposeConfigException : DsoException
{
    public ComposeConfigException(string message)
        : base(message)
    {
    }

    public ComposeConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
