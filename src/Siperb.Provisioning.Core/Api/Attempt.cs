
namespace Siperb.Provisioning.Api;

/// <summary>What one attempt came to: the answer, or the failure and whether another attempt may help.</summary>
internal readonly struct Attempt<T>
{
    private Attempt(bool succeeded, T? value, SiperbApiException? failure, bool retryable)
    {
        Succeeded = succeeded;
        Value = value;
        Failure = failure;
        Retryable = retryable;
    }

    public bool Succeeded { get; }

    public T? Value { get; }

    public SiperbApiException? Failure { get; }

    public bool Retryable { get; }

    public static Attempt<T> Success(T value) => new(true, value, null, false);

    public static Attempt<T> Failed(SiperbApiException failure, bool retryable) => new(false, default, failure, retryable);
}
