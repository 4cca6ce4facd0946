using Dso.Agent.Configuration;

namespace Dso.Agent.Tests.Configuration;

public sealed class DurationTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("7d", 604800)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d2h3m4s", 93784)]
    [InlineData("0s", 0)]
    [InlineData("90m", 5400)]
    public void TryParse_ValidText_ReturnsSeconds(string text, int expectedSeconds)
    {
        bool parsed = Duration.TryParse(text, out TimeSpan duration);

        Assert.True(parsed, text);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("s")]
    [InlineData("1.5h")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("1w")]
    [InlineData("-5s")]
    [InlineData(" 5s")]
    [InlineData("5S")]
    [InlineData("1ms")]
    [InlineData("99999999999999999999d")]
    public void TryParse_InvalidText_ReturnsFalse(string text)
    {
        Assert.False(Duration.TryParse(text, out _), text);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(30, "30s")]
    [InlineData(5400, "1h30m")]
    [InlineData(604800, "7d")]
    public void Format_Seconds_RoundTrips(int seconds, string expected)
    {
        string text = Duration.Format(TimeSpan.FromSeconds(seconds));

        Assert.Equal(expected, text);
        Assert.True(Duration.TryParse(text, out TimeSpan parsed));
        Assert.Equal(TimeSpan.FromSeconds(seconds), parsed);
    }
}
