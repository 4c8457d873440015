namespace Siperb.Provisioning.Api;

/// <summary>Which API call a request is; decides the error wording and what may be quoted.</summary>
internal enum ApiRoute
{
    None,
    Login,
    Devices,
    Device,

    /// <summary>Any other path, sent by Invoke-SiperbRequest (<see cref="ApiRequest"/>).</summary>
    Request,
}
