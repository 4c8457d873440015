namespace Siperb.Provisioning;

/// <summary>What Export-SiperbClientConfig did with one config file.</summary>
public enum SiperbClientConfigAction
{
    /// <summary>The file did not exist and was written.</summary>
    Created,

    /// <summary>The file existed with other content and was replaced.</summary>
    Updated,

    /// <summary>The file already held exactly this content: not touched (same inode, same modification time).</summary>
    Unchanged,

    /// <summary>The file existed with other content and was kept (-NoClobber).</summary>
    Skipped,

    /// <summary>The file belonged to a device not in this run and was deleted (-Prune).</summary>
    Removed,
}

/// <summary>One config file of Export-SiperbClientConfig -PassThru. No property holds a secret.</summary>
public sealed class SiperbClientConfigFile
{
    internal SiperbClientConfigFile(string? deviceToken, SiperbClientConfigFormat format, SiperbClientConfigAction action, string fullName)
    {
        DeviceToken = deviceToken;
        Format = format;
        Action = action;
        FullName = fullName;
        Name = System.IO.Path.GetFileName(fullName);
    }

    /// <summary>The device the file is for (null for a removed file whose shortened name does not tell it).</summary>
    public string? DeviceToken { get; }

    /// <summary>JsSIP or SipJs.</summary>
    public SiperbClientConfigFormat Format { get; }

    /// <summary>Created, Updated, Unchanged, Skipped or Removed.</summary>
    public SiperbClientConfigAction Action { get; }

    /// <summary>The file name (the device token made safe).</summary>
    public string Name { get; }

    /// <summary>The full path of the file (as FileInfo.FullName).</summary>
    public string FullName { get; }
}
