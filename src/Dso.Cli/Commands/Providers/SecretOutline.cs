using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Dso.Agent.Providers;

namespace Dso.Cli.Commands.Providers;

/// <summary>
/// The leaves of a JSON object secret, for dso fetch: each leaf's display path, JSON type and rendered value
/// (as key_path would deliver it). Dispose clears the rendered values.
/// </summary>
internal sealed class SecretOutline : IDisposable
{
    private SecretOutline(IReadOnlyList<SecretLeaf> leaves) => Leaves = leaves;

    public IReadOnlyList<SecretLeaf> Leaves { get; }

    /// <summary>Lists the leaves of a JSON object value, or returns null when the value is not a JSON object.</summary>
    public static SecretOutline? TryCreate(SecretPayload payload)
    {
        if (!payload.IsText)
        {
            return null;
        }

        using JsonDocument? document = SecretValueSelector.TryParse(payload.Value);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var leaves = new List<SecretLeaf>();
        Collect(document.RootElement, [], leaves);
        return new SecretOutline(leaves);
    }

    /// <summary>
    /// Formats a key path for display: segments joined by dots and array indexes in brackets. A segment that
    /// contains a dot, bracket, quote or space (or is empty) is shown quoted in brackets, so that ["tls.crt"]
    /// and tls.crt stay apart.
    /// </summary>
    public static string Display(IReadOnlyList<PathSegment> path)
    {
        var text = new StringBuilder();
        foreach (PathSegment segment in path)
        {
            if (segment.Index is { } index)
            {
                text.Append('[').Append(index).Append(']');
            }
            else if (segment.Key.Length == 0 || segment.Key.AsSpan().IndexOfAny(".[]\" ") >= 0)
            {
                text.Append("[\"").Append(JsonEncodedText.Encode(segment.Key, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString()).Append("\"]");
            }
            else
            {
                text.Append(text.Length == 0 ? "" : ".").Append(segment.Key);
            }
        }

        return text.ToString();
    }

    public void Dispose()
    {
        foreach (SecretLeaf leaf in Leaves)
        {
            if (leaf.Value is not null)
            {
                CryptographicOperations.ZeroMemory(leaf.Value);
            }
        }
    }

    private static void Collect(JsonElement element, List<PathSegment> path, List<SecretLeaf> leaves)
    {
        bool isContainer = element.ValueKind is JsonValueKind.Object or JsonValueKind.Array;
        bool isEmpty = element.ValueKind == JsonValueKind.Object ? !element.EnumerateObject().Any() : element.ValueKind == JsonValueKind.Array && element.GetArrayLength() == 0;
        if (!isContainer || (isEmpty && path.Count > 0))
        {
            leaves.Add(new SecretLeaf([.. path], TypeName(element), SecretValueSelector.RenderValue(element)));
            return;
        }

        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in element.EnumerateObject().OrderBy(property => property.Name, StringComparer.Ordinal))
            {
                path.Add(new PathSegment(property.Name, null));
                Collect(property.Value, path, leaves);
                path.RemoveAt(path.Count - 1);
            }

            return;
        }

        int index = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            path.Add(new PathSegment(index.ToString(System.Globalization.CultureInfo.InvariantCulture), index));
            Collect(item, path, leaves);
            path.RemoveAt(path.Count - 1);
            index++;
        }
    }

    private static string TypeName(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
