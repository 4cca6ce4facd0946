using Dso.Compose.Yaml;
using Dso.Core;
using YamlDotNet.Core;

namespace Dso.Compose.Tests.Yaml;

public sealed class YamlSourceDocumentTests
{
    [Fact]
    public void Parse_Scalars_SpanTheirSourceText()
    {
        const string text = "a: plain\nb: \"dq \\u00e9\"\nc: 'sq'' x'\nd: é😀x\n";

        YamlSourceDocument document = YamlSourceDocument.Parse(text, "t.yml");

        var root = (YamlSourceMapping)document.Root!;
        string[] spans = root.Entries.Select(entry => (YamlSourceScalar)entry.Value).Select(scalar => text[scalar.ValueStart..scalar.End]).ToArray();
        Assert.Equal(["plain", "\"dq \\u00e9\"", "'sq'' x'", "é😀x"], spans);
        Assert.Equal([1, 2, 3, 4], root.Entries.Select(entry => entry.Value.Line));
    }

    [Fact]
    public void Parse_AnchoredTaggedScalar_ValueStartSkipsProperties()
    {
        const string text = "a: &pw !!str \"x\"\nb: *pw\n";

        YamlSourceDocument document = YamlSourceDocument.Parse(text, "t.yml");

        var root = (YamlSourceMapping)document.Root!;
        var anchored = (YamlSourceScalar)root.Entries[0].Value;
        var alias = (YamlSourceAlias)root.Entries[1].Value;
        Assert.Equal("\"x\"", text[anchored.ValueStart..anchored.End]);
        Assert.Equal("pw", anchored.Anchor);
        Assert.Same(anchored, alias.Target);
        Assert.Equal("*pw", text[alias.Start..alias.End]);
    }

    [Fact]
    public void Parse_CrLfLineEnds_OffsetsCountBothCharacters()
    {
        const string text = "a: 1\r\nb: \"x\"\r\n";

        YamlSourceDocument document = YamlSourceDocument.Parse(text, "t.yml");

        var value = (YamlSourceScalar)((YamlSourceMapping)document.Root!).Entries[1].Value;
        Assert.Equal("\"x\"", text[value.ValueStart..value.End]);
        Assert.Equal(2, value.Line);
    }

    [Fact]
    public void Parse_FlowCollections_RecordClosingBrackets()
    {
        const string text = "m: {a: 1, b: [x, y]}\n";

        YamlSourceDocument document = YamlSourceDocument.Parse(text, "t.yml");

        var flow = (YamlSourceMapping)((YamlSourceMapping)document.Root!).Entries[0].Value;
        var list = (YamlSourceSequence)flow.Entries[1].Value;
        Assert.True(flow.IsFlow);
        Assert.Equal('}', text[flow.ClosingIndex]);
        Assert.Equal(']', text[list.ClosingIndex]);
        Assert.True(((YamlSourceScalar)list.Items[0]).InFlow);
    }

    [Fact]
    public void Parse_NullValue_IsEmptySpanAfterColon()
    {
        const string text = "env:\n  KEY:\n  OTHER: x\n";

        YamlSourceDocument document = YamlSourceDocument.Parse(text, "t.yml");

        var env = (YamlSourceMapping)((YamlSourceMapping)document.Root!).Entries[0].Value;
        var nullValue = (YamlSourceScalar)env.Entries[0].Value;
        Assert.True(nullValue.IsNull);
        Assert.Equal(nullValue.ValueStart, nullValue.End);
        Assert.Equal(':', text[nullValue.Start - 1]);
    }

    [Fact]
    public void Parse_BlockScalar_EndsAfterItsLineBreaks()
    {
        const string text = "k: |\n  line1\n  line2\n\nnext: 1\n";

        YamlSourceDocument document = YamlSourceDocument.Parse(text, "t.yml");

        var block = (YamlSourceScalar)((YamlSourceMapping)document.Root!).Entries[0].Value;
        Assert.Equal(ScalarStyle.Literal, block.Style);
        Assert.Equal("line1\nline2\n", block.Value);
        Assert.Equal(text.IndexOf("next", StringComparison.Ordinal), block.End);
    }

    [Fact]
    public void Parse_AliasToUnknownAnchor_FailsNamingFileAndLine()
    {
        DsoException error = Assert.Throws<DsoException>(() => YamlSourceDocument.Parse("a: 1\nb: [*missing]\n", "t.yml"));

        Assert.StartsWith("t.yml:2:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ByteOrderMark_IsRecordedAndRestored()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dso-bom-{Guid.NewGuid():N}.yml");
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. "a: 1\n"u8.ToArray()];
        File.WriteAllBytes(path, bytes);
        try
        {
            YamlSourceDocument document = YamlSourceDocument.Load(path);

            Assert.True(document.HasByteOrderMark);
            Assert.Equal("a: 1\n", document.Text);
            Assert.Equal(bytes, YamlSourceDocument.Encode(document.Text, document.HasByteOrderMark));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
