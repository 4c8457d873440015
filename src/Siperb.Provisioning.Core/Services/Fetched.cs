
namespace Siperb.Provisioning.Services;

/// <summary>What a call to the API fetched, and the JSON to store for it (null: store nothing).</summary>
internal sealed class Fetched<T>
{
    public Fetched(T value, string? payloadJson)
    {
        Value = value;
        PayloadJson = payloadJson;
    }

    public T Value { get; }

    public string? PayloadJson { get; }
}
