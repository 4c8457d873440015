using System;

namespace Siperb.Provisioning.Api;

/// <summary>
/// Keeps the type name and a scrubbed message of a lower-level exception, so that no secret the
/// framework may have put into its text (a URL, a header) survives in <c>$Error</c>.
/// </summary>
internal sealed class ScrubbedInnerException : Exception
{
    internal ScrubbedInnerException(Exception original)
        : base(original.GetType().FullName + ": " + SecretScrubber.Scrub(original.Message),
            original.InnerException is null ? null : new ScrubbedInnerException(original.InnerException))
    {
    }
}
