namespace Dso.Compose.Env;

/// <summary>
/// A problem in a .env file that does not stop parsing, such as a duplicate key. The message names
/// the file and lines but never a value.
/// </summary>
internal sealed record DotEnvWarning(string Message, int Line);
