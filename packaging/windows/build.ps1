# Build the Windows installer of mvplan. NOT RUN in this project's CI (Linux only); see
# packaging/README.md, "Windows". Needs Python 3.11+ (python.org) and Inno Setup 6.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Makes dist\mvplan\ (mvplan.exe and mvplan-gui.exe) with PyInstaller, then
# dist\mvplan-VERSION-windows-x64-setup.exe with Inno Setup.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

if (-not (Test-Path .venv\Scripts\python.exe)) { py -3 -m venv .venv }
.venv\Scripts\python -m pip install --quiet --upgrade pip
.venv\Scripts\python -m pip install --quiet -e ".[package]"

# The .ico from the committed PNG (Pillow, in the package extra), 16 to 256 px.
.venv\Scripts\python -c "from PIL import Image; Image.open('packaging/icons/mvplan-256.png').save('packaging/icons/mvplan.ico', sizes=[(16,16),(32,32),(48,48),(256,256)])"

.venv\Scripts\pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\mvplan.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# A first check of both executables before packing them.
dist\mvplan\mvplan.exe --version
if ($LASTEXITCODE -ne 0) { throw "dist\mvplan\mvplan.exe --version failed" }

$version = (.venv\Scripts\python -c "import mvplan; print(mvplan.__version__)").Trim()
$iscc = Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"
& $iscc "/DAppVersion=$version" packaging\windows\mvplan.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Write-Host "built dist\mvplan-$version-windows-x64-setup.exe"
