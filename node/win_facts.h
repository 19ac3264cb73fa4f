/*
 * win_facts.h: every fact about Windows, Hyper-V, the failover cluster,
 * VSS and DPM that the Windows backend relies on and that has NOT been
 * checked on a real Windows Server host: PowerShell commands and the
 * property names they print, the integration services' stable
 * identifiers, DPM's paths and registry values. They come from
 * Microsoft's public documentation and object shapes, not from a run on
 * Windows. When a real host disagrees, correct it here and in the recorded
 * outputs under tests/data/windows/. Used by wininventory.c (portable) and
 * backend_win.c (Windows only).
 */
#ifndef HVP_NODE_WIN_FACTS_H
#define HVP_NODE_WIN_FACTS_H

/* ---- PowerShell (unverified) ---- */

/* The interpreter (found on PATH; Windows PowerShell 5.1 ships with every
 * Windows Server from 2016 on) and the arguments before the command. */
#define WINF_POWERSHELL		L"powershell.exe"
#define WINF_POWERSHELL_ARGS	L"-NoLogo -NoProfile -NonInteractive " \
	L"-ExecutionPolicy Bypass -Command "
/* Put before every command: UTF-8 on the pipe, errors stop the command. */
#define WINF_PS_PRELUDE \
	"[Console]::OutputEncoding=[System.Text.Encoding]::UTF8;" \
	"$ErrorActionPreference='Stop';"
/* How long one PowerShell run may take before it is killed (ms). */
#define WINF_PS_TIMEOUT_MS	60000
/* The most a command may print. */
#define WINF_PS_MAX_OUTPUT	(8u * 1024 * 1024)

/* The guests this host runs: Id (GUID string), Name, State (the VMState
 * name as a string), ConfigurationLocation (folder). */
#define WINF_PS_VMS \
	"Get-VM | Select-Object @{n='Id';e={$_.Id.ToString()}},Name," \
	"@{n='State';e={$_.State.ToString()}},ConfigurationLocation" \
	" | ConvertTo-Json -Compress -Depth 3"
/* Their integration services: VMId, VMName, Name (localized), Id
 * ("Microsoft:<VMId>\<service GUID>"), Enabled (bool). */
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
 * stable GUID (the end of its Id), never by its localized name. Formatted
 * with: the guest's GUID, the service GUID, Enable or Disable. */
#define WINF_PS_SET_SERVICE \
	"Get-VM -Id '%s' | Get-VMIntegrationService | Where-Object " \
	"{ $_.Id -like '*\\%s' } | %s-VMIntegrationService"
/* The same by name, for services without a known GUID: guest GUID,
 * service name, Enable or Disable. */
#define WINF_PS_SET_SERVICE_BY_NAME \
	"Get-VM -Id '%s' | %s-VMIntegrationService -Name '%s'"

/* `vssadmin list providers` (parsed by common/evidence.h). */
#define WINF_VSSADMIN		L"vssadmin.exe list providers"

/* Get-VM's State names (VMState enum) and the older numeric values that
 * ConvertTo-Json prints when State is not turned into a string. */
#define WINF_STATE_RUNNING	"Running"
#define WINF_STATE_OFF		"Off"
#define WINF_STATE_SAVED	"Saved"
#define WINF_STATE_PAUSED	"Paused"
#define WINF_STATE_NUM_RUNNING	2
#define WINF_STATE_NUM_OFF	3
#define WINF_STATE_NUM_SAVED	6
#define WINF_STATE_NUM_PAUSED	9

/* ---- integration services (unverified) ---- */

/* The GUID that ends an integration service's Id; the same GUID names
 * the component behind the WMI class in root\virtualization\v2. Hyper-V
 * cmdlet names beside them (not localized in the cmdlets' -Name). */
#define WINF_SVC_VSS_GUID	"5CED1297-4598-4915-A5FC-AD21BB4D02A4"
#define WINF_SVC_VSS_CLASS	"Msvm_VssComponentSettingData"
#define WINF_SVC_VSS_NAME	"VSS"
#define WINF_SVC_SHUTDOWN_GUID	"9F8233AC-BE49-4C79-8EE3-E7E1985B2077"
#define WINF_SVC_TIMESYNC_GUID	"2497F4DE-E9FA-4204-80E4-4B75C46419C0"
#define WINF_SVC_HEARTBEAT_GUID	"84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47"
#define WINF_SVC_KVP_GUID	"2A34B1C2-FD73-4043-8A5B-8C2F9D1AAB52"
#define WINF_SVC_GSI_GUID	"6C09BB55-D683-4DA0-8931-C9BF705F6480"

/* ---- VSS providers (unverified) ---- */

/* vssadmin does not print autorecovery support: system and software
 * providers are taken to support it, hardware providers not (the known
 * case, Microsoft iSCSI Target VSS Hardware Provider, does not). */
#define WINF_SYSTEM_PROVIDER_AUTORECOVERY	1
#define WINF_SOFTWARE_PROVIDER_AUTORECOVERY	1
#define WINF_HARDWARE_PROVIDER_AUTORECOVERY	0

/* ---- DPM (unverified) ---- */

/* Registry: where DPM (server or agent) says it is installed. */
#define WINF_DPM_ROOT_KEY \
	"HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager"
#define WINF_DPM_SETUP_KEY	L"SOFTWARE\\Microsoft\\Microsoft Data Protection Manager\\Setup"
#define WINF_DPM_INSTALL_VALUE	L"InstallPath"
/* The serialization file on the DPM server, under %ProgramFiles%. */
#define WINF_DSGROUPS_REL	"Microsoft DPM\\DPM\\Config\\DataSourceGroups.xml"
/* The agent log on a protected server: <InstallPath>\Temp\ when the
 * registry gives InstallPath, else these folders under %ProgramFiles%. */
#define WINF_AGENT_LOG_NAME	"DPMRACurr.errlog"
#define WINF_AGENT_LOG_SUBDIR	"Temp"
#define WINF_AGENT_LOG_DIRS { \
	"Microsoft Data Protection Manager\\DPM\\Temp", \
	"Microsoft System Center\\DPM\\DPM\\Temp", \
	"Microsoft DPM\\DPM\\Temp", \
	NULL }

#endif
