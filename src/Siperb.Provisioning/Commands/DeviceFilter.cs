using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// Get-SiperbDevice's -Name, -DeviceToken and -Platform: which listed devices go out, and, once the
/// list has been read, one ObjectNotFound error for each -Name without wildcards and each
/// -DeviceToken that matched no device (wildcard patterns that match nothing stay silent).
/// </summary>
internal sealed class DeviceFilter
{
    private readonly WildcardPattern[]? _namePatterns;
    private readonly string[] _exactNames;
    private readonly HashSet<string>? _platforms;
    private readonly string[] _platformNames;
    private readonly string[] _tokenList;
    private readonly HashSet<string>? _tokens;
    private readonly HashSet<string> _namesFound = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _tokensFound = new(StringComparer.Ordinal);
    private readonly HashSet<string> _namesOnOtherPlatforms = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _tokensOnOtherPlatforms = new(StringComparer.Ordinal);

    public DeviceFilter(string[]? names, string[]? tokens, string[] platforms)
    {
        _namePatterns = names?.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant)).ToArray();
        _exactNames = names?.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray()
            ?? Array.Empty<string>();
        _platforms = platforms.Contains("*") ? null : new HashSet<string>(platforms, StringComparer.OrdinalIgnoreCase);
        _platformNames = platforms;
        _tokenList = tokens ?? Array.Empty<string>();
        _tokens = tokens is null ? null : new HashSet<string>(tokens, StringComparer.Ordinal);
    }

    /// <summary>Forgets what an earlier list found (each piped session is listed on its own).</summary>
    public void Reset()
    {
        _namesFound.Clear();
        _tokensFound.Clear();
        _namesOnOtherPlatforms.Clear();
        _tokensOnOtherPlatforms.Clear();
    }

    /// <summary>True when <paramref name="device"/> goes out; notes what -Name and -DeviceToken found.</summary>
    public bool Matches(DeviceData device)
    {
        if (_tokens is not null && (device.DeviceToken is null || !_tokens.Contains(device.DeviceToken))) return false;
        string description = device.Description ?? string.Empty;
        if (_namePatterns is not null && !_namePatterns.Any(p => p.IsMatch(description))) return false;
        bool platformMatches = _platforms is null || (device.Platform is not null && _platforms.Contains(device.Platform));
        HashSet<string> tokensSeen = platformMatches ? _tokensFound : _tokensOnOtherPlatforms;
        HashSet<string> namesSeen = platformMatches ? _namesFound : _namesOnOtherPlatforms;
        if (_tokens is not null) tokensSeen.Add(device.DeviceToken!);
        foreach (string name in _exactNames)
        {
            if (string.Equals(WildcardPattern.Unescape(name), description, StringComparison.OrdinalIgnoreCase)) namesSeen.Add(name);
        }
        return platformMatches;
    }

    /// <summary>The not-found errors of the list just read, in parameter order, one per name or token.</summary>
    public IEnumerable<ErrorRecord> NotFoundErrors(string userId)
    {
        string platforms = _platforms is null ? string.Empty : $" of platform {string.Join(", ", _platformNames)}";
        foreach (string name in _exactNames)
        {
            if (_namesFound.Contains(name)) continue;
            string hint = _namesOnOtherPlatforms.Contains(name)
                ? " A device of another platform has it: add -Platform *."
                : " Run Get-SiperbDevice -Platform * to see every description, or use wildcards (-Name '*part*').";
            yield return ErrorMapping.Failure(ErrorIds.DeviceNameNotFound, ErrorCategory.ObjectNotFound, name,
                $"User {userId} has no device{platforms} described as '{name}'.{hint}", message => new ItemNotFoundException(message));
        }
        foreach (string token in _tokenList)
        {
            if (_tokensFound.Contains(token)) continue;
            _tokensFound.Add(token); // one error per token, even when given twice
            string hint = _tokensOnOtherPlatforms.Contains(token)
                ? " The device is of another platform: add -Platform *."
                : " Run Get-SiperbDevice -Platform * to see every device token.";
            yield return ErrorMapping.Failure(ErrorIds.DeviceNotFound, ErrorCategory.ObjectNotFound, token,
                $"User {userId} has no device{platforms} with the token '{token}'.{hint}", message => new ItemNotFoundException(message));
        }
    }
}
