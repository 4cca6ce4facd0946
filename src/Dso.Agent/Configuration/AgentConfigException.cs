using Dso.Core;

namespace Dso.Agent.Configuration;

/// <summary>An agent-mode dso.yaml that failed to load, with every problem found, each as "FILE:LINE: KEY: problem".</summary>
public sealed class AgentConfigException : DsoException
{
    public AgentConfigException(string path, IReadOnlyList<string> errors)
        : base(BuildMessage(path, errors))
    {
        Errors = errors;
    }

    public AgentConfigException()
    {
        Errors = [];
    }

    public AgentConfigException(string message)
        : base(message)
    {
        Errors = [message];
    }

    public AgentConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; }

    private static string BuildMessage(string path, IReadOnlyList<string> errors) =>
        errors.Count == 1
            ? errors[0]
            : $"{path} has {errors.Count} errors:{System.Environment.NewLine}  {string.Join($"{System.Environment.NewLine}  ", errors)}";
}
