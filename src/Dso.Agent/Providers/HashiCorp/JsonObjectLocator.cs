using System.Text;
using System.Text.Json;

namespace Dso.Agent.Providers.HashiCorp;

/// <summary>
/// Finds a nested JSON object in a response body and returns its byte range, so that a secret's data can be
/// copied out as UTF-8 bytes without being decoded into strings that cannot be cleared.
/// </summary>
internal static class JsonObjectLocator
{
    /// <summary>
    /// Returns the range of the object at <paramref name="path"/> (property names from the root), or null when a
    /// property on the way is missing or null.
    /// </summary>
    /// <exception cref="JsonException">The body is not valid JSON, or the value at the path is not an object.</exception>
    public static Range? Find(ReadOnlySpan<byte> json, params ReadOnlySpan<string> path)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The response body is not a JSON object.");
        }

        for (int depth = 0; depth < path.Length; depth++)
        {
            if (!MoveToProperty(ref reader, Encoding.UTF8.GetBytes(path[depth])))
            {
                return null;
            }

            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"The value of \"{string.Join('.', path[..(depth + 1)].ToArray())}\" is a {reader.TokenType}, not a JSON object.");
            }
        }

        int start = checked((int)reader.TokenStartIndex);
        reader.Skip();
        return start..checked((int)reader.BytesConsumed);
    }

    /// <summary>Reads the current object's properties until <paramref name="name"/>, leaving the reader on its value.</summary>
    private static bool MoveToProperty(ref Utf8JsonReader reader, byte[] name)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool found = reader.ValueTextEquals(name);
            reader.Read();
            if (found)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }
}
