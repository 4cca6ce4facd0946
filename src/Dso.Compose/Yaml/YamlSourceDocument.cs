using System.Text;
using Dso.Core;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Dso.Compose.Yaml;

/// <summary>
/// The text of one YAML file and the tree of its first document, built from YamlDotNet's parser events so that
/// every node keeps its offsets in <see cref="Text"/> and every alias keeps its own position.
/// </summary>
internal sealed class YamlSourceDocument
{
    private static readonly byte[] Utf8ByteOrderMark = [0xEF, 0xBB, 0xBF];

    private readonly int[] _lineStarts;

    private YamlSourceDocument(string path, string text, bool hasByteOrderMark, YamlSourceNode? root, int[] lineStarts)
    {
        Path = path;
        Text = text;
        HasByteOrderMark = hasByteOrderMark;
        Root = root;
        _lineStarts = lineStarts;
    }

    public string Path { get; }

    /// <summary>The file's text without a byte order mark. Node offsets point into it.</summary>
    public string Text { get; }

    public bool HasByteOrderMark { get; }

    /// <summary>The first document's root node, or null for an empty file.</summary>
    public YamlSourceNode? Root { get; }

    /// <exception cref="DsoException">The file cannot be read, is not UTF-8 or is not valid YAML.</exception>
    public static YamlSourceDocument Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bool hasByteOrderMark = bytes.AsSpan().StartsWith(Utf8ByteOrderMark);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, hasByteOrderMark ? 3 : 0, bytes.Length - (hasByteOrderMark ? 3 : 0));
        }
        catch (DecoderFallbackException exception)
        {
            throw new DsoException($"The compose file {path} contains bytes that are not valid UTF-8. Save it with UTF-8 encoding.", exception);
        }

        return Parse(text, path, hasByteOrderMark);
    }

    /// <exception cref="DsoException">The text is not valid YAML, or an alias names an anchor not defined before it.</exception>
    public static YamlSourceDocument Parse(string text, string path, bool hasByteOrderMark = false)
    {
        int[] lineStarts = FindLineStarts(text);
        var builder = new Builder(text, path, lineStarts);
        YamlSourceNode? root;
        try
        {
            root = builder.ReadFirstDocument();
        }
        catch (YamlException exception)
        {
            throw new DsoException($"{path}:{exception.Start.Line}:{exception.Start.Column}: invalid YAML: {exception.Message}", exception);
        }

        return new YamlSourceDocument(path, text, hasByteOrderMark, root, lineStarts);
    }

    /// <summary>Returns the 1-based line that contains <paramref name="offset"/>.</summary>
    public int LineOf(int offset) => LineOf(_lineStarts, offset);

    /// <summary>Returns the text with a byte order mark restored when the file had one, ready to be written.</summary>
    public static byte[] Encode(string text, bool withByteOrderMark)
    {
        byte[] body = new UTF8Encoding(false).GetBytes(text);
        return withByteOrderMark ? [.. Utf8ByteOrderMark, .. body] : body;
    }

    private static int[] FindLineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }

    private static int LineOf(int[] lineStarts, int offset)
    {
        int index = Array.BinarySearch(lineStarts, offset);
        return index >= 0 ? index + 1 : ~index;
    }

    /// <summary>Builds the tree by recursive descent over the parser's events.</summary>
    private sealed class Builder
    {
        private readonly string _text;
        private readonly string _path;
        private readonly int[] _lineStarts;
        private readonly Parser _parser;
        private readonly Dictionary<string, YamlSourceNode> _anchors = new(StringComparer.Ordinal);
        private int _flowDepth;

        public Builder(string text, string path, int[] lineStarts)
        {
            _text = text;
            _path = path;
            _lineStarts = lineStarts;
            _parser = new Parser(new StringReader(text));
        }

        public YamlSourceNode? ReadFirstDocument()
        {
            while (_parser.MoveNext())
            {
                if (_parser.Current is DocumentStart)
                {
                    _parser.MoveNext();
                    return _parser.Current is DocumentEnd ? null : ReadNode();
                }
            }

            return null;
        }

        private YamlSourceNode ReadNode()
        {
            ParsingEvent current = _parser.Current!;
            switch (current)
            {
                case Scalar scalar:
                    _parser.MoveNext();
                    return Register(scalar.Anchor, BuildScalar(scalar));

                case AnchorAlias alias:
                    _parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out YamlSourceNode? target))
                    {
                        throw new DsoException($"{_path}:{alias.Start.Line}:{alias.Start.Column}: the alias *{alias.Value.Value} names no anchor defined before it.");
                    }

                    int aliasStart = (int)alias.Start.Index;
                    return new YamlSourceAlias
                    {
                        Start = aliasStart,
                        End = (int)alias.End.Index,
                        Line = LineOf(_lineStarts, aliasStart),
                        Column = (int)alias.Start.Column,
                        InFlow = _flowDepth > 0,
                        Name = alias.Value.Value,
                        Target = target,
                    };

                case SequenceStart sequenceStart:
                    return ReadSequence(sequenceStart);

                case MappingStart mappingStart:
                    return ReadMapping(mappingStart);

                default:
                    throw new DsoException($"{_path}:{current.Start.Line}:{current.Start.Column}: unexpected YAML event {current.GetType().Name}.");
            }
        }

        private YamlSourceScalar BuildScalar(Scalar scalar)
        {
            int start = (int)scalar.Start.Index;
            int valueStart = scalar.Anchor.IsEmpty && scalar.Tag.IsEmpty ? start : SkipProperties(start);
            return new YamlSourceScalar
            {
                Start = start,
                End = (int)scalar.End.Index,
                ValueStart = valueStart,
                Line = LineOf(_lineStarts, valueStart),
                Column = (int)scalar.Start.Column,
                Anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value,
                Tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value,
                InFlow = _flowDepth > 0,
                Value = scalar.Value,
                Style = scalar.Style,
            };
        }

        private YamlSourceSequence ReadSequence(SequenceStart sequenceStart)
        {
            bool isFlow = sequenceStart.Style == SequenceStyle.Flow;
            bool inFlow = _flowDepth > 0;
            _flowDepth += isFlow ? 1 : 0;
            _parser.MoveNext();

            var items = new List<YamlSourceNode>();
            while (_parser.Current is not SequenceEnd)
            {
                items.Add(ReadNode());
            }

            int closing = (int)_parser.Current.Start.Index;
            _parser.MoveNext();
            _flowDepth -= isFlow ? 1 : 0;

            int start = (int)sequenceStart.Start.Index;
            int end = start;
            if (isFlow)
            {
                end = closing + 1;
            }
            else if (items.Count > 0)
            {
                end = items[^1].End;
            }

            var sequence = new YamlSourceSequence
            {
                Start = start,
                End = end,
                Line = LineOf(_lineStarts, start),
                Column = (int)sequenceStart.Start.Column,
                Anchor = sequenceStart.Anchor.IsEmpty ? null : sequenceStart.Anchor.Value,
                InFlow = inFlow,
                Items = items,
                IsFlow = isFlow,
                ClosingIndex = isFlow ? closing : -1,
            };
            return (YamlSourceSequence)Register(sequenceStart.Anchor, sequence);
        }

        private YamlSourceMapping ReadMapping(MappingStart mappingStart)
        {
            bool isFlow = mappingStart.Style == MappingStyle.Flow;
            bool inFlow = _flowDepth > 0;
            _flowDepth += isFlow ? 1 : 0;
            _parser.MoveNext();

            var entries = new List<YamlSourceEntry>();
            while (_parser.Current is not MappingEnd)
            {
                YamlSourceNode key = ReadNode();
                YamlSourceNode value = ReadNode();
                entries.Add(new YamlSourceEntry(key, value));
            }

            int closing = (int)_parser.Current.Start.Index;
            _parser.MoveNext();
            _flowDepth -= isFlow ? 1 : 0;

            int start = (int)mappingStart.Start.Index;
            int end = start;
            if (isFlow)
            {
                end = closing + 1;
            }
            else if (entries.Count > 0)
            {
                end = entries[^1].Value.End;
            }

            var mapping = new YamlSourceMapping
            {
                Start = start,
                End = end,
                Line = LineOf(_lineStarts, start),
                Column = (int)mappingStart.Start.Column,
                Anchor = mappingStart.Anchor.IsEmpty ? null : mappingStart.Anchor.Value,
                InFlow = inFlow,
                Entries = entries,
                IsFlow = isFlow,
                ClosingIndex = isFlow ? closing : -1,
            };
            return (YamlSourceMapping)Register(mappingStart.Anchor, mapping);
        }

        private YamlSourceNode Register(AnchorName anchor, YamlSourceNode node)
        {
            if (!anchor.IsEmpty)
            {
                // A later anchor with the same name replaces the earlier one for the aliases after it, as the YAML specification defines.
                _anchors[anchor.Value] = node;
            }

            return node;
        }

        /// <summary>Moves past the anchor (&amp;name) and tag (!tag) written before a scalar, and the spaces after them.</summary>
        private int SkipProperties(int position)
        {
            while (position < _text.Length && _text[position] is '&' or '!')
            {
                while (position < _text.Length && !char.IsWhiteSpace(_text[position]))
                {
                    position++;
                }

                while (position < _text.Length && char.IsWhiteSpace(_text[position]))
                {
                    position++;
                }
            }

            return position;
        }
    }
}
