; Reading List's Windows installer (NSIS 3, Unicode).
;
; Per user: installs into %LOCALAPPDATA%\Programs\Reading List and writes only to
; HKEY_CURRENT_USER, so it needs no administrator rights (as VS Code's and Zoom's user
; installers do). It adds a Start-menu entry, an uninstaller listed in "Installed apps",
; "Reading List" as the program for .bib and .ris files, and "Open with > Reading List"
; for .pdf and .txt files (without taking those over from the user's PDF reader or editor).
;
; Build (the hosted-CI workflow does, after PyInstaller):
;   makensis /DVERSION=0.1.0 /DPAYLOAD=dist\readinglist [/DOUTFILE=...] [/DICON=...]
;       packaging\windows\readinglist.nsi
; VERSION comes from readinglist/__init__.py, the one place it is written; PAYLOAD is the
; PyInstaller one-folder bundle (readinglist.exe and _internal\). makensis resolves relative
; paths against this script's folder, so pass absolute ones.

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "pass the version: makensis /DVERSION=x.y.z ..."
!endif
!ifndef PAYLOAD
  !error "pass the PyInstaller bundle: makensis /DPAYLOAD=path\to\dist\readinglist ..."
!endif
!ifndef OUTFILE
  !define OUTFILE "ReadingList-${VERSION}-setup.exe"
!endif

!define APP_NAME "Reading List"
!define APP_EXE "readinglist.exe"
!define PUBLISHER "Reading List developers"
!define HOMEPAGE "https://github.com/readinglist/readinglist"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\io.github.readinglist.ReadingList"
; The programmatic identifiers "Open with" and the file types point at.
!define PROGID_BIB "ReadingList.BibTeX"
!define PROGID_RIS "ReadingList.RIS"
!define PROGID_DOC "ReadingList.Document"

!include "MUI2.nsh"
!include "FileFunc.nsh"

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
; A later installer goes where the user put the first one.
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "FileDescription" "${APP_NAME} installer"
VIAddVersionKey "LegalCopyright" "MIT licence"

; A file type whose "open" runs Reading List with the file, as `readinglist FILE` (import).
!macro WRITE_PROGID PROGID DESCRIPTION
  WriteRegStr HKCU "Software\Classes\${PROGID}" "" "${DESCRIPTION}"
  WriteRegStr HKCU "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\${APP_EXE}" "%1"'
!macroend

; Makes PROGID the default for EXT unless another program already is.
!macro CLAIM_EXTENSION EXT PROGID
  ReadRegStr $0 HKCU "Software\Classes\${EXT}" ""
  StrCmp $0 "" 0 +2
    WriteRegStr HKCU "Software\Classes\${EXT}" "" "${PROGID}"
  WriteRegStr HKCU "Software\Classes\${EXT}\OpenWithProgids" "${PROGID}" ""
!macroend

; Undoes CLAIM_EXTENSION: the default only if it is still ours.
!macro RELEASE_EXTENSION EXT PROGID
  ReadRegStr $0 HKCU "Software\Classes\${EXT}" ""
  StrCmp $0 "${PROGID}" 0 +2
    DeleteRegValue HKCU "Software\Classes\${EXT}" ""
  DeleteRegValue HKCU "Software\Classes\${EXT}\OpenWithProgids" "${PROGID}"
  DeleteRegKey /ifempty HKCU "Software\Classes\${EXT}\OpenWithProgids"
  DeleteRegKey /ifempty HKCU "Software\Classes\${EXT}"
!macroend

Section "Reading List" SecMain
  SectionIn RO
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  ; An update replaces the bundle whole: no module of the old version may linger.
  RMDir /r "$INSTDIR\_internal"
  File /r "${PAYLOAD}\*.*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0

  !insertmacro WRITE_PROGID "${PROGID_BIB}" "BibTeX bibliography"
  !insertmacro WRITE_PROGID "${PROGID_RIS}" "RIS bibliography"
  !insertmacro WRITE_PROGID "${PROGID_DOC}" "Import into Reading List"
  !insertmacro CLAIM_EXTENSION ".bib" "${PROGID_BIB}"
  !insertmacro CLAIM_EXTENSION ".ris" "${PROGID_RIS}"
  ; PDFs and text files: only "Open with", never the default.
  WriteRegStr HKCU "Software\Classes\.pdf\OpenWithProgids" "${PROGID_DOC}" ""
  WriteRegStr HKCU "Software\Classes\.txt\OpenWithProgids" "${PROGID_DOC}" ""
  WriteRegStr HKCU "Software\Classes\Applications\${APP_EXE}" "FriendlyAppName" "${APP_NAME}"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "URLInfoAbout" "${HOMEPAGE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0

  ; Tell Explorer the file associations changed (SHCNE_ASSOCCHANGED).
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"

  !insertmacro RELEASE_EXTENSION ".bib" "${PROGID_BIB}"
  !insertmacro RELEASE_EXTENSION ".ris" "${PROGID_RIS}"
  DeleteRegValue HKCU "Software\Classes\.pdf\OpenWithProgids" "${PROGID_DOC}"
  DeleteRegValue HKCU "Software\Classes\.txt\OpenWithProgids" "${PROGID_DOC}"
  DeleteRegKey HKCU "Software\Classes\${PROGID_BIB}"
  DeleteRegKey HKCU "Software\Classes\${PROGID_RIS}"
  DeleteRegKey HKCU "Software\Classes\${PROGID_DOC}"
  DeleteRegKey HKCU "Software\Classes\Applications\${APP_EXE}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"

  ; Only what the installer put there: the library and settings live elsewhere
  ; (%LOCALAPPDATA%\ReadingList) and are the user's to keep.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"

  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd
