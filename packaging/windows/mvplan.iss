; Inno Setup 6 script for the Windows installer of mvplan. NOT BUILT OR TESTED in this
; project's CI (Linux only): see packaging/README.md, "Windows".
;
;   packaging\windows\build.ps1            (PyInstaller bundle, then this script)
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\mvplan.iss
;
; Installs dist\mvplan\ (mvplan.exe, the console program, and mvplan-gui.exe, the windowed
; one, with their shared _internal\ folder) into Program Files, or the user's own programs
; folder when installed without administrator rights; a Start menu entry for the GUI; an
; optional desktop icon; an optional PATH entry so that `mvplan` works in a terminal; and
; mvplan in the "Open with" list of .json files. Windows matches only the last extension,
; so a plan (*.mvplan.json) cannot get its own association without taking every .json file:
; mvplan is offered, never imposed. Uninstall from Settings > Apps (or "Add or remove
; programs"): it removes the files, the menu entries, the registry keys and the PATH entry.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "mvplan"
#define Bundle "..\..\dist\mvplan"

[Setup]
AppId={{6F1D2C8B-6B55-4E0C-9D0E-3A1A7C2F5E91}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=mvplan developers
AppComments=Planning mitral valve annuloplasty. Research use only, not for clinical decisions.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-machine by default; the installer offers a per-user install to users without admin rights.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
LicenseFile=..\..\LICENSE
SetupIconFile=..\icons\mvplan.ico
UninstallDisplayIcon={app}\mvplan-gui.exe
OutputDir=..\..\dist
OutputBaseFilename=mvplan-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
ChangesEnvironment=yes
ChangesAssociations=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add mvplan to PATH (the `mvplan` command in terminals)"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\mvplan"; Filename: "{app}\mvplan-gui.exe"
Name: "{group}\{cm:UninstallProgram,mvplan}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\mvplan"; Filename: "{app}\mvplan-gui.exe"; Tasks: desktopicon

[Registry]
; A ProgID for plan files, offered in "Open with" for .json (see the header).
Root: HKA; Subkey: "Software\Classes\mvplan.plan"; ValueType: string; ValueData: "mvplan plan"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\mvplan.plan\DefaultIcon"; ValueType: string; ValueData: "{app}\mvplan-gui.exe,0"
Root: HKA; Subkey: "Software\Classes\mvplan.plan\shell\open\command"; ValueType: string; ValueData: """{app}\mvplan-gui.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.json\OpenWithProgids"; ValueType: string; ValueName: "mvplan.plan"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Applications\mvplan-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".json"; ValueData: ""; Flags: uninsdeletekey
; The user's PATH (HKCU: no admin needed and no other user affected).
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NotOnPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\mvplan-gui.exe"; Description: "{cm:LaunchProgram,mvplan}"; Flags: nowait postinstall skipifsilent

[Code]
function NotOnPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
    Path := '';
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Path, Dir: string;
  P: Integer;
begin
  // Take {app} back out of the user's PATH (the [Registry] entry only ever appended it).
  if CurUninstallStep <> usPostUninstall then
    exit;
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
    exit;
  Dir := ';' + ExpandConstant('{app}');
  P := Pos(Uppercase(Dir), Uppercase(Path));
  if P > 0 then
  begin
    Delete(Path, P, Length(Dir));
    RegWriteExpandStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path);
  end;
end;
