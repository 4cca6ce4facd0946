using Dso.Compose.Env;

namespace Dso.Compose.Source;

/// <summary>One variable of an interpolation .env file: its value after interpolation and as written.</summary>
internal sealed record DotEnvVariable(string File, DotEnvEntry Entry, string? LiteralValue);
