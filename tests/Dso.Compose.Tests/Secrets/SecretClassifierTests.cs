using Dso.Compose.Secrets;

namespace Dso.Compose.Tests.Secrets;

public sealed class SecretClassifierTests
{
    private static readonly HashSet<string> None = [];

    [Theory]
    [InlineData("DB_PASSWORD", "x", "secret")]
    [InlineData("POSTGRES_PASSWORD", "x", "secret")]
    [InlineData("MYSQL_ROOT_PASSWD", "x", "secret")]
    [InlineData("JWT_SECRET", "x", "secret")]
    [InlineData("SECRET_KEY_BASE", "x", "secret")]
    [InlineData("GITHUB_TOKEN", "x", "secret")]
    [InlineData("STRIPE_API_KEY", "x", "secret")]
    [InlineData("APIKEY", "x", "secret")]
    [InlineData("AWS_SECRET_ACCESS_KEY", "x", "secret")]
    [InlineData("GOOGLE_CREDENTIALS", "x", "secret")]
    [InlineData("TLS_PRIVATE_KEY", "x", "secret")]
    [InlineData("REDIS_PASS", "x", "secret")]
    [InlineData("BASIC_AUTH", "x", "secret")]
    [InlineData("db.password", "x", "secret")]
    [InlineData("AWS_ACCESS_KEY_ID", "x", "plain")]
    [InlineData("PUBLIC_KEY", "x", "plain")]
    [InlineData("STRIPE_PUBLISHABLE_KEY", "x", "plain")]
    [InlineData("TOKEN_TTL", "3600", "plain")]
    [InlineData("PASSWORD_MIN_LENGTH", "12", "plain")]
    [InlineData("POSTGRES_USER", "app", "plain")]
    [InlineData("KEYBOARD_LAYOUT", "us", "plain")]
    [InlineData("DB_PASSWORD_FILE", "/run/secrets/db", "plain")]
    [InlineData("DB_PASSWORD_FILE", "hunter2", "secret")]
    [InlineData("DATABASE_URL", "postgres://app:pw@db/app", "secret")]
    [InlineData("DATABASE_URL", "postgres://db/app", "plain")]
    [InlineData("SENTRY_DSN", "https://key@sentry.example/1", "secret")]
    [InlineData("UPSTREAM", "https://user:pw@example.com/", "secret")]
    [InlineData("HOMEPAGE", "https://user@example.com/", "plain")]
    [InlineData("DB_PASSWORD", "", "plain")]
    [InlineData("DB_PASSWORD", "dso://shop/db", "reference")]
    public void Classify_ByNameAndValue(string variable, string value, string expected)
    {
        SecretDecision decision = SecretClassifier.Classify(variable, [], value, None, None);

        string verdict = decision.Verdict switch
        {
            SecretVerdict.Secret => "secret",
            SecretVerdict.Plain => "plain",
            _ => "reference",
        };
        Assert.Equal(expected, verdict);
    }

    [Fact]
    public void Classify_ValueReferringToSecret_IsSecret()
    {
        SecretDecision decision = SecretClassifier.Classify("CONNECTION", ["DB_USER", "DB_PASSWORD"], "host=db password=x", None, None);

        Assert.Equal(SecretVerdict.Secret, decision.Verdict);
        Assert.Equal("refers to DB_PASSWORD", decision.Reason);
    }

    [Fact]
    public void Classify_Overrides_WinOverHeuristics()
    {
        SecretDecision plain = SecretClassifier.Classify("DB_PASSWORD", [], "x", None, new HashSet<string> { "DB_PASSWORD" });
        SecretDecision secret = SecretClassifier.Classify("LICENSE", [], "x", new HashSet<string> { "LICENSE" }, None);
        SecretDecision byReference = SecretClassifier.Classify("APP_CONFIG", ["LICENSE"], "x", new HashSet<string> { "LICENSE" }, None);

        Assert.Equal(SecretVerdict.Plain, plain.Verdict);
        Assert.Equal(SecretVerdict.Secret, secret.Verdict);
        Assert.Equal(SecretVerdict.Secret, byReference.Verdict);
    }

    [Fact]
    public void RuleText_ListsEveryWord()
    {
        string rule = SecretClassifier.RuleText;

        Assert.Contains("PASSWORD", rule, StringComparison.Ordinal);
        Assert.Contains("PUBLISHABLE", rule, StringComparison.Ordinal);
        Assert.Contains("TIMEOUT", rule, StringComparison.Ordinal);
        Assert.Contains("${DB_PASSWORD}", rule, StringComparison.Ordinal);
    }
}
