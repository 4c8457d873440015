namespace Siperb.Provisioning.Api;

/// <summary>How the module names itself on the wire: one User-Agent for the HTTP API and the SIP probe.</summary>
internal static class ProductInfo
{
    /// <summary>"Siperb.Provisioning/1.2.3": the module's version, three parts.</summary>
    public static string UserAgent { get; } = "Siperb.Provisioning/" + Version();

    private static string Version()
    {
        System.Version? version = typeof(ProductInfo).Assembly.GetName().Version;
        return version is null ? "0.0.0" : $"{version.Major}.{version.Minor}.{System.Math.Max(0, version.Build)}";
    }
}
