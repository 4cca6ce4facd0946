namespace Dso.Compose.Tests.Migration;

/// <summary>A line diff (longest common subsequence) that lists the removed and the added lines in order.</summary>
internal static class LineDiff
{
    public static (List<string> Removed, List<string> Added) Compare(string before, string after)
    {
        string[] a = before.Split('\n');
        string[] b = after.Split('\n');
        int[,] common = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var removed = new List<string>();
        var added = new List<string>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || common[x, y + 1] >= common[x + 1, y]))
            {
                added.Add(b[y++]);
            }
            else
            {
                removed.Add(a[x++]);
            }
        }

        return (removed, added);
    }
}
