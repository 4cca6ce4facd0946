using System.Text;

namespace Dso.Compose.Yaml;

/// <summary>Splices edits into a text, leaving every character outside them unchanged.</summary>
internal static class TextEditor
{
    /// <summary>
    /// Applies <paramref name="edits"/> to <paramref name="text"/>. Insertions at the same offset keep their order in
    /// the list.
    /// </summary>
    /// <exception cref="ArgumentException">Two replacements overlap, or an edit lies outside the text.</exception>
    public static string Apply(string text, IEnumerable<TextEdit> edits)
    {
        List<TextEdit> ordered = edits
            .Select((edit, index) => (Edit: edit, Index: index))
            .OrderBy(item => item.Edit.Start)
            .ThenBy(item => item.Edit.End)
            .ThenBy(item => item.Index)
            .Select(item => item.Edit)
            .ToList();

        var result = new StringBuilder(text.Length + ordered.Sum(edit => edit.Replacement.Length));
        int position = 0;
        foreach (TextEdit edit in ordered)
        {
            if (edit.Start < position || edit.End < edit.Start || edit.End > text.Length)
            {
                throw new ArgumentException($"The edit of offsets {edit.Start} to {edit.End} overlaps another edit or lies outside the text of {text.Length} characters.", nameof(edits));
            }

            result.Append(text, position, edit.Start - position);
            result.Append(edit.Replacement);
            position = edit.End;
        }

        result.Append(text, position, text.Length - position);
        return result.ToString();
    }
}
