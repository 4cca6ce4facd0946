using Dso.Compose.Diagnostics;
using Dso.Compose.Source;
using Dso.Compose.Tests.Migration;

namespace Dso.Compose.Tests.Source;

public sealed class ComposeSourceReaderTests
{
    [Fact]
    public void Read_EnvFileLongForm_SkipsMissingOptionalFile()
    {
        using MigrationProject project = new MigrationProject()
            .Write("present.env", "FROM_PRESENT=1\n")
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    env_file:\n      - path: present.env\n      - path: missing.env\n        required: false\n");

        ComposeSource source = project.Read();

        Assert.Empty(source.Findings);
        EnvironmentSite site = Assert.Single(source.Services.Single().Effective);
        Assert.Equal("FROM_PRESENT", site.Variable);
        Assert.Equal(project.PathOf("present.env"), site.File);
    }

    [Fact]
    public void Read_MissingRequiredEnvFile_IsFindingWithLine()
    {
        using MigrationProject project = new MigrationProject()
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    env_file:\n      - missing.env\n");

        ComposeSource source = project.Read();

        Finding finding = Assert.Single(source.Findings);
        Assert.Equal("compose.env_file_missing", finding.Code);
        Assert.Equal(5, finding.Line);
    }

    [Fact]
    public void Read_ListItem_KeepsQuotesAsPartOfValue()
    {
        using MigrationProject project = new MigrationProject()
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      - A=\"quoted\"\n      - 'B=single'\n");

        ComposeSource source = project.Read();

        Assert.Equal(["\"quoted\"", "single"], source.Services.Single().Effective.Select(site => site.Value));
    }

    [Fact]
    public void Read_OverriddenSite_IsListedButNotEffective()
    {
        using MigrationProject project = new MigrationProject()
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      A: first\n")
            .Write("docker-compose.override.yml", "services:\n  a:\n    environment:\n      A: second\n");

        ComposeSource source = project.Read("docker-compose.yml", "docker-compose.override.yml");

        Assert.Equal(2, source.Sites.Count);
        EnvironmentSite effective = Assert.Single(source.Services.Single().Effective);
        Assert.Equal("second", effective.Value);
        Assert.Equal(project.PathOf("docker-compose.override.yml"), effective.File);
    }
}
