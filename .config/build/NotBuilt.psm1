# The root manifest of a clone points here: the module is a compiled assembly that build.ps1 lays out
# in out/Siperb.Provisioning. Importing the clone's root says so in one line instead of failing on a
# missing file.
throw "Siperb.Provisioning is not built in this folder: run 'dotnet tool restore; dotnet pwsh -File build.ps1', then Import-Module ./out/Siperb.Provisioning/Siperb.Provisioning.psd1"
