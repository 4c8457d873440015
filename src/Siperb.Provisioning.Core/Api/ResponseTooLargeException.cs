using System;

namespace Siperb.Provisioning.Api;

/// <summary>The answer was larger than the module accepts.</summary>
internal sealed class ResponseTooLargeException : Exception
{
    public ResponseTooLargeException(long limit)
        : base($"the answer is larger than {limit / (1024 * 1024)} MiB")
    {
        Limit = limit;
    }

    public long Limit { get; }
}
