using System;
using System.Text.Json;

namespace Siperb.Provisioning.Api;

/// <summary>What <c>/Login</c> answered.</summary>
internal sealed class LoginResult
{
    internal LoginResult(string userId, string sessionToken, JsonFields fields)
    {
        UserId = userId;
        SessionToken = sessionToken;
        Fields = fields;
    }

    /// <summary>The user's id (MD5 of the e-mail address).</summary>
    public string UserId { get; }

    /// <summary>The session token, sent as X-Api-Key on every later call.</summary>
    public string SessionToken { get; }

    /// <summary>Every field of the answer, the two above included.</summary>
    public JsonFields Fields { get; }

    internal static LoginResult Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the login answer is not a JSON object");
        }
        JsonFields fields = JsonFields.FromObject(root);
        string? userId = fields.GetString("UserId");
        string? sessionToken = fields.GetString("SessionToken");
        if (string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(sessionToken))
        {
            throw new FormatException("the login answer has no UserId or SessionToken");
        }
        SecretScrubber.Register(sessionToken);
        return new LoginResult(userId!, sessionToken!, fields);
    }
}
