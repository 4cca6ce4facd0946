namespace Dso.Compose.Yaml;

/// <summary>
/// Replaces the characters from <see cref="Start"/> up to <see cref="End"/> (UTF-16 offsets) with
/// <see cref="Replacement"/>. An insertion has <see cref="Start"/> equal to <see cref="End"/>.
/// </summary>
internal sealed record TextEdit(int Start, int End, string Replacement)
{
    public static TextEdit Insert(int position, string text) => new(position, position, text);
}
