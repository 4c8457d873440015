using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// Lets only text (and numbers) bind to a string parameter from the pipeline. Without it, an object
/// that lacks the property the parameter binds by name (a CSV row with a Token column, a hashtable)
/// is bound by value as its string form, "@{Token=dev-006}", and sent to the API. With it the object
/// is refused: PowerShell reports the input as not bound (InputObjectNotBound, InvalidArgument), and
/// the message names the property it lacks and the ones it has.
/// </summary>
internal sealed class PipelineTextArgumentAttribute : ArgumentTransformationAttribute
{
    private readonly string _propertyName;

    /// <summary><paramref name="propertyName"/>: the property an object must have to bind (the parameter's name).</summary>
    public PipelineTextArgumentAttribute(string propertyName) => _propertyName = propertyName;

    /// <inheritdoc/>
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        if (inputData is IList list && inputData is not string)
        {
            foreach (object? item in list) Check(item);
        }
        else
        {
            Check(inputData);
        }
        return inputData;
    }

    private void Check(object? value)
    {
        object? plain = value is PSObject wrapped ? wrapped.BaseObject : value;
        if (plain is null or string or char || plain.GetType().IsPrimitive || plain is decimal) return;
        // An object with the property is left alone: PowerShell tries the pipeline binding by value first
        // (this attribute runs then too, and throwing would stop it), fails, and binds it by name.
        if (PSObject.AsPSObject(value).Properties[_propertyName] is not null) return;
        var names = new List<string>();
        if (plain is IDictionary dictionary)
        {
            foreach (object? key in dictionary.Keys)
            {
                if (names.Count == 8) break;
                names.Add(key?.ToString() ?? string.Empty);
            }
        }
        else if (value is PSObject shown)
        {
            foreach (PSPropertyInfo property in shown.Properties)
            {
                if (names.Count == 8) break;
                names.Add(property.Name);
            }
        }
        throw new ArgumentTransformationMetadataException(
            $"The input object has no {_propertyName} property (it has: {(names.Count == 0 ? plain.GetType().Name : string.Join(", ", names))}), so it is not sent as text. " +
            $"Pipe {_propertyName} values, objects with a {_propertyName} property, or rename the column: Select-Object @{{ Name = '{_propertyName}'; Expression = {{ $_.Token }} }}.");
    }
}
