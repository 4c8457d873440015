using System;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// Lets a [TimeSpan] parameter take a bare number as seconds: 600, 600.5 and '600' mean ten minutes,
/// where PowerShell's own conversion would read 600 as ticks and '600' as days. TimeSpan values and
/// other strings ('00:10:00', '1.02:00:00') are left to PowerShell's usual conversion.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class SecondsToTimeSpanAttribute : ArgumentTransformationAttribute
{
    private static readonly Regex s_number = new(@"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$", RegexOptions.CultureInvariant);

    /// <inheritdoc/>
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        switch (value)
        {
            case byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal:
                return FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case string text when s_number.IsMatch(text):
                return FromSeconds(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
            default:
                return inputData;
        }
    }

    private static TimeSpan FromSeconds(double seconds)
    {
        if (double.IsNaN(seconds) || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds)
        {
            throw new ArgumentTransformationMetadataException($"{seconds.ToString(CultureInfo.InvariantCulture)} seconds is not a usable duration.");
        }
        return TimeSpan.FromSeconds(seconds);
    }
}
