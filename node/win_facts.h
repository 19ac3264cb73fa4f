/*
 * win_facts.h: every fact about Windows, Hyper-V, the failover cluster,
 * VSS and DPM that the Windows backend relies on: PowerShell's command
 * line, the commands and the property names they print, the WMI classes
 * and events watched, the integration services' stable identifiers,
 * DPM's paths and registry values. Each fact names the public source a
 * reader can look it up in; what no public source confirms is marked
 * UNVERIFIED and is to be checked on a real Windows Server (the list is
 * in docs/windows.md). When a real host disagrees, correct it here and in
 * the recorded outputs under tests/data/windows/. Used by wininventory.c,
 * winevents.c, dpmpaths.c (portable), backend_win.c and winrun.c
 * (Windows only) and the stand-in powershell.exe (tests/wine/).
 */
#ifndef HVP_NODE_WIN_FACTS_H
#define HVP_NODE_WIN_FACTS_H

/* ---- PowerShell's command line ---- */

/* The interpreter, found on PATH (Windows PowerShell 5.1 ships with every
 * Windows Server from 2016 on). Its parameters, per Microsoft's
 * about_PowerShell_exe: -NoLogo, -NoProfile (no profile script can change
 * the output), -NonInteractive (no prompt can hang the run),
 * -ExecutionPolicy Bypass (for this process only), and last
 * -EncodedCommand, "a base-64-encoded string version of a command" made
 * from the command's UTF-16LE bytes ([Text.Encoding]::Unicode in the
 * document's example). -Command takes the command as text: base64 after
 * -Command is run as a command name and fails ("The term ... is not
 * recognized"). */
#define WINF_POWERSHELL		L"powershell.exe"
#define WINF_POWERSHELL_ARGS	L"-NoLogo -NoProfile -NonInteractive " \
	L"-ExecutionPolicy Bypass -EncodedCommand "
/* How long one command may take before the host is stopped (ms), and
 * how long the host may take to start and subscribe (loading the Hyper-V
 * module takes seconds). */
#define WINF_PS_TIMEOUT_MS	60000
#define WINF_PS_START_MS	120000
/* The most a command may print. */
#define WINF_PS_MAX_OUTPUT	(8u * 1024 * 1024)
/* A host that died is started again at most this often (ms). */
#define WINF_PS_RESTART_MS	30000
/* A program that fails to start (CreateProcessW returns an error) is
 * tried this many times in all, waiting WINF_SPAWN_RETRY_MS times the
 * attempt's number between tries: a start can fail for a moment (no
 * memory, no desktop heap, a loader that could not map the image) and
 * one failure must not fail a whole pass. */
#define WINF_SPAWN_TRIES	3
#define WINF_SPAWN_RETRY_MS	500

/*
 * The long-lived host (psproto.h has the protocol). UNVERIFIED as a
 * whole: it has not run on a real Windows Server; the stand-in
 * powershell.exe only recognises it. Piece by piece:
 * - [Console]::OutputEncoding, [Convert]::ToBase64String,
 *   [Text.UTF8Encoding]: .NET Framework, documented.
 * - Standard input is read through a StreamReader over
 *   [Console]::OpenStandardInput() with ReadLineAsync, so that the loop
 *   can also hand out events; [Console]::In's own ReadLineAsync runs
 *   synchronously in .NET Framework (SyncTextReader).
 * - Register-CimIndicationEvent -Namespace -Query -SourceIdentifier
 *   (CimCmdlets, PowerShell 3.0 and later), events read with Get-Event
 *   and removed with Remove-Event; SourceEventArgs.NewEvent is the
 *   CimIndicationEventInstanceEventArgs' instance (TargetInstance inside).
 * - WQL intrinsic events __InstanceCreationEvent,
 *   __InstanceDeletionEvent and __InstanceModificationEvent with WITHIN
 *   and PreviousInstance (WMI's WQL documentation); Msvm_ComputerSystem
 *   (Name is the guest's GUID, EnabledState its state) and
 *   Msvm_VssComponentSettingData (InstanceID "Microsoft:<guest GUID>\
 *   <component GUID>", as in the WMI dumps in public Hyper-V scripts) in
 *   root\virtualization\v2 (Hyper-V WMI provider v2 reference);
 *   MSCluster_ResourceGroup.OwnerNode in root\MSCluster (Failover Cluster
 *   WMI provider reference). That the Hyper-V and cluster providers
 *   deliver these intrinsic events by polling (WITHIN) is UNVERIFIED.
 * An event's subject is the instance's Name (Msvm_ComputerSystem: the
 * guest's GUID; MSCluster_ResourceGroup: the group's name), or for
 * vss-changed its InstanceID; white space becomes '_'.
 * Warnings are silenced (the console host would print them on standard
 * output, between the protocol's lines; such a line is logged and
 * skipped).
 * Each command runs as a script block; its output is Out-String'ed and
 * sent back whole. A subscription that cannot be made (no cluster on
 * this host) is reported as a note, not an error.
 */
#define WINF_PS_HOST \
	"$ErrorActionPreference='Stop';$ProgressPreference='SilentlyContinue'\n" \
	"$WarningPreference='SilentlyContinue'\n" \
	"$u=New-Object System.Text.UTF8Encoding $false\n" \
	"[Console]::OutputEncoding=$u\n" \
	"$o=[Console]::Out\n" \
	"function W($l){$o.Write($l+\"`n\");$o.Flush()}\n" \
	"function B($s){[Convert]::ToBase64String($u.GetBytes([string]$s))}\n" \
	"$v='root\\virtualization\\v2'\n" \
	"$subs=@(\n" \
	" @('" WINF_EV_VM_CREATED "',$v,\"SELECT * FROM __InstanceCreationEvent WITHIN 2 WHERE TargetInstance ISA 'Msvm_ComputerSystem'\"),\n" \
	" @('" WINF_EV_VM_DELETED "',$v,\"SELECT * FROM __InstanceDeletionEvent WITHIN 2 WHERE TargetInstance ISA 'Msvm_ComputerSystem'\"),\n" \
	" @('" WINF_EV_VM_CHANGED "',$v,\"SELECT * FROM __InstanceModificationEvent WITHIN 2 WHERE TargetInstance ISA 'Msvm_ComputerSystem' AND TargetInstance.EnabledState <> PreviousInstance.EnabledState\"),\n" \
	" @('" WINF_EV_VSS_CHANGED "',$v,\"SELECT * FROM __InstanceModificationEvent WITHIN 2 WHERE TargetInstance ISA 'Msvm_VssComponentSettingData'\"),\n" \
	" @('" WINF_EV_GROUP_MOVED "','root\\MSCluster',\"SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'MSCluster_ResourceGroup' AND TargetInstance.OwnerNode <> PreviousInstance.OwnerNode\"))\n" \
	"foreach($s in $subs){try{Register-CimIndicationEvent -Namespace $s[1] -Query $s[2] -SourceIdentifier ('hvp:'+$s[0])|Out-Null}catch{W ('N '+(B ('no '+$s[0]+' events: '+$_.Exception.Message)))}}\n" \
	"$i=New-Object System.IO.StreamReader([Console]::OpenStandardInput(),$u)\n" \
	"W 'READY hvpolicy-pshost 1'\n" \
	"$t=$i.ReadLineAsync()\n" \
	"while($true){\n" \
	" if($t.Wait(200)){\n" \
	"  $l=$t.Result;if($l -eq $null){break}\n" \
	"  $p=$l.Split(' ')\n" \
	"  if($p.Count -eq 3 -and $p[0] -eq 'Q'){\n" \
	"   try{$c=$u.GetString([Convert]::FromBase64String($p[2]));$r=(& ([ScriptBlock]::Create($c))|Out-String);W ('R '+$p[1]+' OK '+(B $r))}\n" \
	"   catch{W ('R '+$p[1]+' ERR '+(B $_.Exception.Message))}}\n" \
	"  $t=$i.ReadLineAsync()}\n" \
	" foreach($e in @(Get-Event)){\n" \
	"  $k=[string]$e.SourceIdentifier\n" \
	"  if($k.StartsWith('hvp:')){$x=$e.SourceEventArgs.NewEvent.TargetInstance\n" \
	"   $n=[string]$(if($k -eq 'hvp:" WINF_EV_VSS_CHANGED "'){$x.InstanceID}else{$x.Name});if(-not $n){$n='-'}\n" \
	"   W ('E '+$k.Substring(4)+' '+($n -replace '\\s','_'))}\n" \
	"  Remove-Event -EventIdentifier $e.EventIdentifier}}\n"

/* The event kinds the host reports (winevents.h maps them to passes). */
#define WINF_EV_VM_CREATED	"vm-created"
#define WINF_EV_VM_DELETED	"vm-deleted"
#define WINF_EV_VM_CHANGED	"vm-changed"
#define WINF_EV_VSS_CHANGED	"vss-changed"
#define WINF_EV_GROUP_MOVED	"group-moved"

/* ---- the commands (sent to the host) ---- */

/* Get-VM, Get-VMIntegrationService, Get-VMHardDiskDrive (Hyper-V module
 * reference) and Get-Cluster, Get-ClusterSharedVolume (FailoverClusters
 * module reference); the property names are the documented ones.
 * Vagrant's Hyper-V provider (the PowerShell scripts under
 * plugins/providers/hyperv/scripts) and Packer's Hyper-V builder drive
 * the same cmdlets and read Id, Name, State the same way. ConvertTo-Json prints one object bare and several as an
 * array (tests/data/windows/ has both). */

/* The guests: Id (GUID string), Name, State (the VMState name: asked
 * for as a name because the numbers above 32781 differ between Windows
 * versions, see WINF_STATE_*), ConfigurationLocation (folder). */
#define WINF_PS_VMS \
	"Get-VM | Select-Object @{n='Id';e={$_.Id.ToString()}},Name," \
	"@{n='State';e={$_.State.ToString()}},ConfigurationLocation" \
	" | ConvertTo-Json -Compress -Depth 3"
/* Their integration services: VMId, VMName, Name (localized), Id
 * ("Microsoft:<VMId>\<service GUID>", as Vagrant's and Packer's drivers
 * match it), Enabled (bool). */
#define WINF_PS_SERVICES \
	"Get-VM | Get-VMIntegrationService | Select-Object " \
	"@{n='VMId';e={$_.VMId.ToString()}},VMName,Name,Id,Enabled" \
	" | ConvertTo-Json -Compress -Depth 3"
/* Their virtual disks: VMId, VMName, Path. */
#define WINF_PS_DISKS \
	"Get-VM | Get-VMHardDiskDrive | Select-Object " \
	"@{n='VMId';e={$_.VMId.ToString()}},VMName,Path" \
	" | ConvertTo-Json -Compress -Depth 3"
/* The cluster's CSVs: Name, FriendlyVolumeName (C:\ClusterStorage\...). */
#define WINF_PS_CSVS \
	"Get-ClusterSharedVolume | Select-Object Name,@{n=" \
	"'FriendlyVolumeName';e={$_.SharedVolumeInfo.FriendlyVolumeName}}" \
	" | ConvertTo-Json -Compress -Depth 3"
/* The cluster this host belongs to: Name. */
#define WINF_PS_CLUSTER \
	"Get-Cluster | Select-Object Name | ConvertTo-Json -Compress"
/* Switches one integration service of one guest, found by the service's
 * stable GUID (the end of its Id), never by its localized name; the same
 * match Vagrant's driver (set_vm_integration_services.ps1) and Packer's
 * (hyperv/common/powershell) make. Formatted with, in this order: the
 * guest's GUID, the service GUID, then Enable or Disable. */
#define WINF_PS_SET_SERVICE \
	"Get-VM -Id '%s' | Get-VMIntegrationService | Where-Object " \
	"{ $_.Id -like '*\\%s' } | %s-VMIntegrationService"
/* The same by name, for services without a known GUID. Formatted with,
 * in this order: the guest's GUID, then Enable or Disable, then the
 * service's name. */
#define WINF_PS_SET_SERVICE_BY_NAME \
	"Get-VM -Id '%s' | %s-VMIntegrationService -Name '%s'"

/* `vssadmin list providers` (parsed by common/evidence.h). Providers are
 * installed rarely: it runs at the first pass and then at most once per
 * WINF_VSSADMIN_REFRESH_MS, not at every pass. */
#define WINF_VSSADMIN		L"vssadmin.exe list providers"
#define WINF_VSSADMIN_REFRESH_MS	(60 * 60 * 1000)

/* Get-VM's State names: the VMState enum of Microsoft.HyperV.PowerShell
 * (as decompiled in public code, e.g. nforgeio/neonSDK
 * Lib/Neon.HyperV/HyperVWmiDriver/Microsoft/HyperV/PowerShell/VMState.cs):
 * Other 1, Running 2, Off 3, Stopping 4, Saved 6, Paused 9, Starting 10,
 * Reset 11, Saving 32773, Pausing 32776, Resuming 32777, FastSaved 32779,
 * FastSaving 32780, ForceShutdown 32781, then ForceReboot, Hibernated,
 * ComponentServicing and the *Critical states, whose numbers differ
 * between versions of that enum (another copy numbers RunningCritical
 * 32783, this one 32785). Each *Critical state belongs to the family of
 * the name before "Critical"; FastSaved is saved; Hibernated is off.
 * Transitional states (Starting, Saving, ...) count as running. Only
 * numbers up to 32781 are trusted when a number is printed. */
#define WINF_STATE_RUNNING	"Running"
#define WINF_STATE_OFF		"Off"
#define WINF_STATE_SAVED	"Saved"
#define WINF_STATE_PAUSED	"Paused"
#define WINF_STATE_FASTSAVED	"FastSaved"
#define WINF_STATE_HIBERNATED	"Hibernated"
#define WINF_STATE_CRITICAL	"Critical"	/* suffix */
#define WINF_STATE_NUM_RUNNING	2
#define WINF_STATE_NUM_OFF	3
#define WINF_STATE_NUM_SAVED	6
#define WINF_STATE_NUM_PAUSED	9
#define WINF_STATE_NUM_FASTSAVED	32779
#define WINF_STATE_NUM_TRUSTED_MAX	32781

/* ---- integration services ---- */

/* The GUID that ends an integration service's Id; the same GUID names
 * the component in root\virtualization\v2 (DeviceID "Microsoft:<GUID>").
 * All six from Vagrant (plugins/providers/hyperv/driver.rb,
 * INTEGRATION_SERVICES_MAP), Packer's Hyper-V builder
 * (builder/hyperv/common/powershell/hyperv/hyperv.go) and WMI dumps of
 * Msvm_KvpExchangeComponent / Msvm_VssComponent in public scripts, which
 * agree. The cmdlets' -Name beside them (English; names are localized,
 * GUIDs are not). */
#define WINF_SVC_VSS_GUID	"5CED1297-4598-4915-A5FC-AD21BB4D02A4"
#define WINF_SVC_VSS_CLASS	"Msvm_VssComponentSettingData"
#define WINF_SVC_VSS_NAME	"VSS"
#define WINF_SVC_SHUTDOWN_GUID	"9F8233AC-BE49-4C79-8EE3-E7E1985B2077"
#define WINF_SVC_TIMESYNC_GUID	"2497F4DE-E9FA-4204-80E4-4B75C46419C0"
#define WINF_SVC_HEARTBEAT_GUID	"84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47"
#define WINF_SVC_KVP_GUID	"2A34B1C2-FD73-4043-8A5B-DD2159BC743F"
#define WINF_SVC_GSI_GUID	"6C09BB55-D683-4DA0-8931-C9BF705F6480"

/* The Hyper-V VSS writer names each guest's component by the guest's
 * GUID in upper case (as Msvm_ComputerSystem.Name and the component ids
 * in the WMI dumps above print it); DataSourceGroups.xml's ComponentName
 * is written the same way (common/dsgroups.c). UNVERIFIED against a
 * `vssadmin list writers` or DPM-written file. */

/* ---- VSS providers ---- */

/* vssadmin prints "Provider type: System|Software|Hardware"; VSS knows a
 * fourth type, VSS_PROV_FILESHARE (4, Windows 8 / Server 2012 on: the
 * in-box File Share Shadow Copy provider
 * {89300202-3cec-4981-9171-19f59559e0f2}), per the VSS_PROVIDER_TYPE
 * reference; Win32_ShadowProvider documents 0 Unknown, 1 System,
 * 2 Software, 3 Hardware. A provider of any type other than the three is
 * not a hardware provider and is left out of the inventory (it does not
 * take shadow copies of the host's volumes). */
#define WINF_FILESHARE_PROVIDER_ID "{89300202-3cec-4981-9171-19f59559e0f2}"

/* vssadmin does not print autorecovery support: system and software
 * providers are taken to support it, hardware providers not (the known
 * case, Microsoft iSCSI Target VSS Hardware Provider, does not).
 * UNVERIFIED. */
#define WINF_SYSTEM_PROVIDER_AUTORECOVERY	1
#define WINF_SOFTWARE_PROVIDER_AUTORECOVERY	1
#define WINF_HARDWARE_PROVIDER_AUTORECOVERY	0

/* ---- DPM ---- */

/* Registry: where DPM (server or agent) says it is installed. Microsoft's
 * DPM troubleshooting articles read InstallPath under this Setup key. */
#define WINF_DPM_ROOT_KEY \
	"HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager"
#define WINF_DPM_SETUP_KEY	L"SOFTWARE\\Microsoft\\Microsoft Data Protection Manager\\Setup"
#define WINF_DPM_INSTALL_VALUE	L"InstallPath"
/* The install folder's default under %ProgramFiles%, by version (from
 * each version's installation documentation), newest first: System
 * Center DPM 2016 and later, Azure Backup Server, DPM 2012 R2, DPM 2012
 * and 2012 SP1 (UNVERIFIED, by analogy with 2012 R2), DPM 2010; then the
 * DPM protection agent's folder on a protected server (UNVERIFIED). */
#define WINF_DPM_DIRS { \
	"Microsoft System Center\\DPM\\DPM", \
	"Microsoft Azure Backup Server\\DPM\\DPM", \
	"Microsoft System Center 2012 R2\\DPM\\DPM", \
	"Microsoft System Center 2012\\DPM\\DPM", \
	"Microsoft DPM\\DPM", \
	"Microsoft Data Protection Manager\\DPM", \
	NULL }
/* The serialization file, under the install folder (DPM 2010's
 * DSConfig.ps1 documentation writes it there). */
#define WINF_DSGROUPS_REL	"Config\\DataSourceGroups.xml"
/* The agent log, under the install folder. */
#define WINF_AGENT_LOG_NAME	"DPMRACurr.errlog"
#define WINF_AGENT_LOG_SUBDIR	"Temp"

/* ---- the Windows Event Log ---- */

/* The Application log's source (registered by the MSI and by
 * install-service under HKLM\SYSTEM\CurrentControlSet\Services\EventLog\
 * Application\hvpolicy, EventMessageFile = hvpolicy-node.exe, per
 * "Event Sources" in the Event Logging reference). */
#define WINF_EVENT_SOURCE	L"hvpolicy"
#define WINF_EVENT_SOURCE_KEY \
	L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\hvpolicy"

#endif
