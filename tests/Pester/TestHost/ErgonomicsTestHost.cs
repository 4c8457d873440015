using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

/// <summary>An interactive-looking host for tests: it shows what it is given and fails on any prompt.</summary>
public sealed class ErgonomicsTestHost : PSHost
{
    private readonly Guid _id = Guid.NewGuid();
    private readonly ErgonomicsTestHostUI _ui = new ErgonomicsTestHostUI();
    public override CultureInfo CurrentCulture { get { return CultureInfo.InvariantCulture; } }
    public override CultureInfo CurrentUICulture { get { return CultureInfo.InvariantCulture; } }
    public override Guid InstanceId { get { return _id; } }
    public override string Name { get { return "ErgonomicsTestHost"; } }
    public override PSHostUserInterface UI { get { return _ui; } }
    public override Version Version { get { return new Version(1, 0); } }
    public override void EnterNestedPrompt() { throw new NotSupportedException(); }
    public override void ExitNestedPrompt() { throw new NotSupportedException(); }
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
    public override void SetShouldExit(int exitCode) { }
}

public sealed class ErgonomicsTestHostUI : PSHostUserInterface
{
    public int Prompts;
    public override PSHostRawUserInterface RawUI { get { return null; } }
    public override string ReadLine() { Prompts++; throw new InvalidOperationException("prompted"); }
    public override SecureString ReadLineAsSecureString() { Prompts++; throw new InvalidOperationException("prompted"); }
    public override void Write(string value) { }
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { }
    public override void WriteLine(string value) { }
    public override void WriteErrorLine(string value) { }
    public override void WriteDebugLine(string message) { }
    public override void WriteProgress(long sourceId, ProgressRecord record) { }
    public override void WriteVerboseLine(string message) { }
    public override void WriteWarningLine(string message) { }
    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) { Prompts++; throw new InvalidOperationException("prompted"); }
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) { Prompts++; throw new InvalidOperationException("prompted"); }
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) { Prompts++; throw new InvalidOperationException("prompted"); }
    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) { Prompts++; throw new InvalidOperationException("prompted"); }
}
