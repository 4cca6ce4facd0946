using Dso.Compose.Source;

namespace Dso.Compose.Tests.Source;

public sealed class TemplateReferencesTests
{
    [Theory]
    [InlineData("$DB_PASSWORD", "DB_PASSWORD")]
    [InlineData("${DB_PASSWORD}", "DB_PASSWORD")]
    [InlineData("${DB_PASSWORD:?set it in .env}", "DB_PASSWORD")]
    [InlineData("${DB_PASSWORD?}", "DB_PASSWORD")]
    [InlineData("${DB_PASSWORD:-changeme}", "DB_PASSWORD")]
    [InlineData("${DB_PASSWORD-}", "DB_PASSWORD")]
    public void TryGetSingleReference_OneReference_ReturnsName(string template, string expected)
    {
        Assert.True(TemplateReferences.TryGetSingleReference(template, out string name));
        Assert.Equal(expected, name);
    }

    [Theory]
    [InlineData("x${DB_PASSWORD}")]
    [InlineData("${DB_PASSWORD}x")]
    [InlineData("${A:-${B}}")]
    [InlineData("${A:+alt}")]
    [InlineData("$$DB_PASSWORD")]
    [InlineData("plain")]
    [InlineData("$1")]
    public void TryGetSingleReference_AnythingElse_ReturnsFalse(string template)
    {
        Assert.False(TemplateReferences.TryGetSingleReference(template, out _));
    }

    [Fact]
    public void Names_ListsEachReferenceOnceAndSkipsEscapes()
    {
        IReadOnlyList<string> names = TemplateReferences.Names("postgres://${DB_USER}:$DB_PASSWORD@db/$$HOME/${DB_USER}/${X:-$Y}");

        Assert.Equal(["DB_USER", "DB_PASSWORD", "X", "Y"], names);
    }
}
