namespace Siperb.Provisioning.Commands;

/// <summary>Parameter-set names shared by the cmdlets.</summary>
internal static class ParameterSets
{
    /// <summary>The runspace's current session (or one made from SIPERB_ACCESS_TOKEN).</summary>
    public const string CurrentSession = nameof(CurrentSession);

    /// <summary>A session object passed with -Session or down the pipeline.</summary>
    public const string Session = nameof(Session);

    /// <summary>-UserId and -SessionToken given explicitly, as Siperb's JS client takes them.</summary>
    public const string UserIdAndSessionToken = nameof(UserIdAndSessionToken);

    /// <summary>Get-SiperbSession: a PAT as SecureString.</summary>
    public const string AccessToken = nameof(AccessToken);

    /// <summary>Get-SiperbSession: a PAT as the password of a PSCredential.</summary>
    public const string Credential = nameof(Credential);

    /// <summary>Get-SiperbSession -ListAvailable: the sessions in the disk cache.</summary>
    public const string ListAvailable = nameof(ListAvailable);
}
