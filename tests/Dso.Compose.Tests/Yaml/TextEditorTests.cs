using Dso.Compose.Yaml;
using YamlDotNet.Core;

namespace Dso.Compose.Tests.Yaml;

public sealed class TextEditorTests
{
    [Fact]
    public void Apply_ReplacementsAndInsertions_LeaveOtherTextAlone()
    {
        const string text = "0123456789";

        string result = TextEditor.Apply(text, [new TextEdit(2, 4, "ab"), TextEdit.Insert(7, "X"), TextEdit.Insert(7, "Y"), new TextEdit(8, 10, string.Empty)]);

        Assert.Equal("01ab456XY7", result);
    }

    [Fact]
    public void Apply_OverlappingEdits_Throws()
    {
        Assert.Throws<ArgumentException>(() => TextEditor.Apply("0123456789", [new TextEdit(2, 5, "a"), new TextEdit(4, 6, "b")]));
    }

    [Theory]
    [InlineData("dso://shop/DB_PASSWORD", ScalarStyle.Plain, false, "dso://shop/DB_PASSWORD")]
    [InlineData("dso://shop/DB_PASSWORD", ScalarStyle.Plain, true, "\"dso://shop/DB_PASSWORD\"")]
    [InlineData("dso://shop/X", ScalarStyle.SingleQuoted, false, "'dso://shop/X'")]
    [InlineData("dso://shop/X", ScalarStyle.DoubleQuoted, false, "\"dso://shop/X\"")]
    [InlineData("dso://shop/X", ScalarStyle.Literal, false, "dso://shop/X")]
    [InlineData("true", ScalarStyle.Plain, false, "\"true\"")]
    [InlineData("a: b", ScalarStyle.Plain, false, "\"a: b\"")]
    [InlineData("it's", ScalarStyle.SingleQuoted, false, "'it''s'")]
    public void Write_KeepsStyleWhenItFits(string value, ScalarStyle style, bool inFlow, string expected)
    {
        Assert.Equal(expected, YamlScalarWriter.Write(value, style, inFlow));
    }
}
