namespace Dso.Compose.Env;

/// <summary>
/// One <c>KEY=VALUE</c> statement as <see cref="DotEnvScanner"/> reads it, before interpolation.
/// </summary>
/// <param name="Value">The value with quotes and escapes removed, or null for a bare <c>KEY</c> line.</param>
/// <param name="IsLiteral">True for a single-quoted value, which Compose never interpolates.</param>
/// <param name="Line">The 1-based line of the key.</param>
internal sealed record DotEnvStatement(string Key, string? Value, bool IsLiteral, int Line);
