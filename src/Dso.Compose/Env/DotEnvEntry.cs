namespace Dso.Compose.Env;

/// <summary>
/// One variable of a .env file. <see cref="Value"/> is empty for <c>KEY=</c> and null for a bare
/// <c>KEY</c> line, which Compose fills from the environment or else leaves unset.
/// <see cref="Line"/> is the 1-based line of the key.
/// </summary>
internal sealed record DotEnvEntry(string Key, string? Value, int Line);
