namespace Dso.Agent.Configuration;

/// <summary>How a secret value reaches a container.</summary>
internal enum InjectMode
{
    /// <summary>A read-only file on tmpfs, bind-mounted into the container.</summary>
    File,

    /// <summary>An environment variable, visible in docker inspect.</summary>
    Env,
}
