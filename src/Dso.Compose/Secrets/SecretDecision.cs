namespace Dso.Compose.Secrets;

/// <summary>The outcome of <see cref="SecretClassifier.Classify"/> and the rule that decided it.</summary>
internal sealed record SecretDecision(SecretVerdict Verdict, string Reason);
