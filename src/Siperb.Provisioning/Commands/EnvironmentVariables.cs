using System;

namespace Siperb.Provisioning.Commands;

/// <summary>The environment variables the module reads.</summary>
internal static class EnvironmentVariables
{
    /// <summary>A personal access token used when no token parameter is given.</summary>
    public const string AccessToken = "SIPERB_ACCESS_TOKEN";

    /// <summary>The API root used when -ApiBaseUri is not given.</summary>
    public const string ApiBaseUri = "SIPERB_API_BASE_URI";

    /// <summary>The variable's value, or null when unset or blank.</summary>
    public static string? Read(string name)
    {
        string? value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
