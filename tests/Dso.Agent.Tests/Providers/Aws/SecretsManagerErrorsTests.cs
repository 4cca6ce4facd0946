using Dso.Agent.Providers;
using Dso.Agent.Providers.Aws;

namespace Dso.Agent.Tests.Providers.Aws;

public sealed class SecretsManagerErrorsTests
{
    [Theory]
    [InlineData("ResourceNotFoundException", "ResourceNotFoundException")]
    [InlineData("com.amazonaws.secretsmanager#ResourceNotFoundException", "ResourceNotFoundException")]
    [InlineData("ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/", "ThrottlingException")]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void ShortCode_TypeForms_ReturnBareCode(string? type, string? expected)
    {
        Assert.Equal(expected, SecretsManagerErrors.ShortCode(type));
    }

    [Theory]
    [InlineData(400, "ThrottlingException", null, "Throttled")]
    [InlineData(429, null, null, "Throttled")]
    [InlineData(400, "TooManyRequestsException", null, "Throttled")]
    [InlineData(500, "InternalServiceError", null, "Unavailable")]
    [InlineData(502, null, null, "Unavailable")]
    [InlineData(400, "AccessDeniedException", null, "AccessDenied")]
    [InlineData(400, "DecryptionFailure", null, "AccessDenied")]
    [InlineData(400, "ResourceNotFoundException", null, "NotFound")]
    [InlineData(400, "UnrecognizedClientException", null, "Unauthenticated")]
    [InlineData(400, "InvalidSignatureException", null, "Unauthenticated")]
    [InlineData(400, "ExpiredTokenException", null, "Unauthenticated")]
    [InlineData(403, null, null, "AccessDenied")]
    [InlineData(400, "InvalidRequestException", "The secret is marked for deletion.", "Deleted")]
    [InlineData(400, "InvalidRequestException", "The parameter is not valid.", "Invalid")]
    [InlineData(null, "ResourceNotFoundException", null, "NotFound")]
    public void Classify_StatusAndCode_ReturnsKind(int? status, string? code, string? message, string expected)
    {
        Assert.Equal(Enum.Parse<ProviderErrorKind>(expected), SecretsManagerErrors.Classify(status, code, message));
    }
}
