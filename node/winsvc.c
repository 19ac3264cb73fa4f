/*
 * winsvc.c: hvpolicy-node as a Windows service (winservice.h); built only for
 * WIN32. install-service and uninstall-service talk to the service
 * control manager; run-service is the command line the manager starts:
 * configure-service sets the recovery actions and the event source of
 * an installed service (the MSI runs it after registering the service);
 * it connects to the manager with StartServiceCtrlDispatcher, sends the
 * daemon's log lines (standard error) to hvpolicy-node.log beside the
 * config file, runs the daemon (daemon.c) and turns stop and shutdown
 * requests into the daemon's terminate flag. Called by node/main.c.
 */
#include "winservice.h"

#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "daemon.h"
#include "log.h"
#include "platform.h"
#include "winevlog.h"
#include "wintext.h"
#include "xalloc.h"

#define S_DISPLAY	L"hvpolicy node daemon"
#define S_DESCRIPTION	L"Holds this Hyper-V node or DPM server to the " \
	L"cluster's backup policy (hvpolicy)."
#define S_LOG_FILE	"hvpolicy-node.log"
#define S_STOP_WAIT_MS	30000
/* Recovery: restart after 1 minute, twice, then after 5 minutes; the
 * failure count is reset after a day without failure. */
#define S_RESTART_FIRST_MS	60000
#define S_RESTART_LATER_MS	300000
#define S_RESET_SECONDS		86400

static SERVICE_STATUS_HANDLE s_status_handle;
static SERVICE_STATUS s_status;
static int s_argc;
static char **s_argv;

bool
winsvc_is_command(int argc, char **argv)
{
	return argc > 1 && (strcmp(argv[1], WINSVC_INSTALL) == 0 ||
	    strcmp(argv[1], WINSVC_UNINSTALL) == 0 ||
	    strcmp(argv[1], WINSVC_CONFIGURE) == 0 ||
	    strcmp(argv[1], WINSVC_RUN) == 0);
}

static int
s_syserr(const char *what)
{
	char *why = wintext_syserr(GetLastError());

	fprintf(stderr, "hvpolicy-node: %s: %s\n", what, why);
	free(why);
	return 1;
}

/* The value of --config FILE or --config=FILE, or NULL. */
static const char *
s_config_arg(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

/* An ImagePath naming this program unquoted (as Wine's msiexec writes
 * it) is quoted: unquoted, a path with spaces lets Windows try
 * C:\Program.exe first. */
static void
s_quote_image_path(SC_HANDLE svc)
{
	QUERY_SERVICE_CONFIGW *qc;
	wchar_t exe[MAX_PATH], *fixed;
	DWORD need = 0;
	size_t n, elen;

	if (GetModuleFileNameW(NULL, exe, MAX_PATH) == 0)
		return;
	elen = wcslen(exe);
	QueryServiceConfigW(svc, NULL, 0, &need);
	if (need == 0)
		return;
	qc = xmalloc(need);
	if (QueryServiceConfigW(svc, qc, need, &need) &&
	    qc->lpBinaryPathName != NULL && qc->lpBinaryPathName[0] != L'"' &&
	    _wcsnicmp(qc->lpBinaryPathName, exe, elen) == 0) {
		n = wcslen(qc->lpBinaryPathName) + 3;
		fixed = xcalloc(n, sizeof *fixed);
		_snwprintf(fixed, n, L"\"%ls\"%ls", exe,
		    qc->lpBinaryPathName + elen);
		ChangeServiceConfigW(svc, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE,
		    SERVICE_NO_CHANGE, fixed, NULL, NULL, NULL, NULL, NULL,
		    NULL);
		free(fixed);
	}
	free(qc);
}

/* Description, recovery actions (restart on failure, also when the
 * daemon stops with an error) and the event source: what install-service
 * and the MSI's configure-service step both set. */
static int
s_configure(SC_HANDLE svc)
{
	SERVICE_DESCRIPTIONW desc = { (wchar_t *)S_DESCRIPTION };
	SC_ACTION actions[3] = {
		{ SC_ACTION_RESTART, S_RESTART_FIRST_MS },
		{ SC_ACTION_RESTART, S_RESTART_FIRST_MS },
		{ SC_ACTION_RESTART, S_RESTART_LATER_MS },
	};
	SERVICE_FAILURE_ACTIONSW fa;
	SERVICE_FAILURE_ACTIONS_FLAG flag = { TRUE };
	wchar_t exe[MAX_PATH];
	char *uexe, *err = NULL;
	int rc = 0;

	memset(&fa, 0, sizeof fa);
	fa.dwResetPeriod = S_RESET_SECONDS;
	fa.cActions = 3;
	fa.lpsaActions = actions;
	s_quote_image_path(svc);
	ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &desc);
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa))
		return s_syserr("cannot set the service's recovery actions");
	/* Recovery also when the daemon stops with an error, not only when
	 * it crashes. Wine does not know this level: a warning, not a
	 * failure. */
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
	    &flag))
		s_syserr("warning: recovery on a stop with an error not set");
	if (GetModuleFileNameW(NULL, exe, MAX_PATH) == 0)
		return s_syserr("cannot find this program's path");
	uexe = wintext_utf8(exe);
	if (winevlog_register(uexe, &err) == -1) {
		fprintf(stderr, "hvpolicy-node: %s\n", err);
		free(err);
		rc = 1;
	}
	free(uexe);
	return rc;
}

static int
s_configure_installed(void)
{
	SC_HANDLE scm, svc;
	int rc;

	scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
	if (scm == NULL)
		return s_syserr("cannot open the service control manager "
		    "(run as Administrator)");
	svc = OpenServiceW(scm, L"" WINSVC_NAME, SERVICE_CHANGE_CONFIG |
	    SERVICE_QUERY_CONFIG | SERVICE_START);
	if (svc == NULL) {
		CloseServiceHandle(scm);
		return s_syserr("cannot open service " WINSVC_NAME);
	}
	rc = s_configure(svc);
	if (rc == 0)
		printf("configured service %s: restart on failure, event "
		    "source hvpolicy\n", WINSVC_NAME);
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	return rc;
}

static int
s_install(int argc, char **argv)
{
	const char *config = s_config_arg(argc, argv);
	wchar_t exe[MAX_PATH], full[MAX_PATH], *wconfig, *cmd;
	SC_HANDLE scm, svc;
	size_t n;
	int rc;

	if (config == NULL) {
		fprintf(stderr, "usage: hvpolicy-node %s --config FILE\n",
		    WINSVC_INSTALL);
		return 64;
	}
	if (!platform_file_exists(config)) {
		fprintf(stderr, "hvpolicy-node: %s: no such file\n", config);
		return 1;
	}
	if (GetModuleFileNameW(NULL, exe, MAX_PATH) == 0)
		return s_syserr("cannot find this program's path");
	wconfig = wintext_wide(config);
	if (GetFullPathNameW(wconfig, MAX_PATH, full, NULL) == 0) {
		free(wconfig);
		return s_syserr("cannot resolve the config path");
	}
	free(wconfig);
	n = wcslen(exe) + wcslen(full) + 64;
	cmd = xcalloc(n, sizeof *cmd);
	_snwprintf(cmd, n, L"\"%ls\" %hs --config \"%ls\"", exe, WINSVC_RUN,
	    full);
	scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
	if (scm == NULL) {
		free(cmd);
		return s_syserr("cannot open the service control manager "
		    "(run as Administrator)");
	}
	svc = CreateServiceW(scm, L"" WINSVC_NAME, S_DISPLAY,
	    SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
	    SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL, NULL, NULL);
	free(cmd);
	if (svc == NULL) {
		CloseServiceHandle(scm);
		return s_syserr("cannot create service " WINSVC_NAME);
	}
	rc = s_configure(svc);
	printf("installed service %s (automatic start, restarted on "
	    "failure) with config %ls; start it with: sc start %s\n",
	    WINSVC_NAME, full, WINSVC_NAME);
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	return rc;
}

static int
s_uninstall(void)
{
	SC_HANDLE scm, svc;
	SERVICE_STATUS st;
	DWORD start = GetTickCount();

	scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
	if (scm == NULL)
		return s_syserr("cannot open the service control manager "
		    "(run as Administrator)");
	svc = OpenServiceW(scm, L"" WINSVC_NAME, SERVICE_STOP |
	    SERVICE_QUERY_STATUS | DELETE);
	if (svc == NULL) {
		CloseServiceHandle(scm);
		return s_syserr("cannot open service " WINSVC_NAME);
	}
	if (ControlService(svc, SERVICE_CONTROL_STOP, &st)) {
		while (QueryServiceStatus(svc, &st) &&
		    st.dwCurrentState != SERVICE_STOPPED &&
		    GetTickCount() - start < S_STOP_WAIT_MS)
			Sleep(250);
	}
	if (!DeleteService(svc)) {
		CloseServiceHandle(svc);
		CloseServiceHandle(scm);
		return s_syserr("cannot delete service " WINSVC_NAME);
	}
	printf("removed service %s\n", WINSVC_NAME);
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	return 0;
}

static void
s_report(DWORD state, DWORD exit_code)
{
	s_status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	s_status.dwCurrentState = state;
	s_status.dwWin32ExitCode = exit_code;
	s_status.dwControlsAccepted = state == SERVICE_RUNNING ?
	    SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
	s_status.dwWaitHint = state == SERVICE_RUNNING ||
	    state == SERVICE_STOPPED ? 0 : S_STOP_WAIT_MS;
	if (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING)
		s_status.dwCheckPoint++;
	else
		s_status.dwCheckPoint = 0;
	SetServiceStatus(s_status_handle, &s_status);
}

static DWORD WINAPI
s_control(DWORD control, DWORD type, void *data, void *ctx)
{
	(void)type;
	(void)data;
	(void)ctx;
	switch (control) {
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_SHUTDOWN:
		s_report(SERVICE_STOP_PENDING, NO_ERROR);
		platform_win_request_terminate();
		return NO_ERROR;
	case SERVICE_CONTROL_INTERROGATE:
		return NO_ERROR;
	default:
		return ERROR_CALL_NOT_IMPLEMENTED;
	}
}

/* Log lines (standard error) go to hvpolicy-node.log beside the config. */
static void
s_redirect_log(void)
{
	const char *config = s_config_arg(s_argc, s_argv);
	char *dir, *path;
	wchar_t *w;

	if (config == NULL)
		return;
	dir = platform_dirname(config);
	path = platform_path_join(dir, S_LOG_FILE);
	w = wintext_wide(path);
	if (_wfreopen(w, L"a", stderr) != NULL)
		setvbuf(stderr, NULL, _IONBF, 0);
	free(w);
	free(path);
	free(dir);
}

/* The daemon's argv: the program, then everything after run-service. */
static int
s_run_daemon(void)
{
	char **argv = xcalloc((size_t)s_argc, sizeof *argv);
	int argc = 0, rc;

	argv[argc++] = s_argv[0];
	for (int i = 2; i < s_argc; i++)
		argv[argc++] = s_argv[i];
	winevlog_open();
	rc = node_daemon_main(argc, argv);
	free(argv);
	return rc;
}

static void WINAPI
s_service_main(DWORD argc, wchar_t **argv)
{
	int rc;

	(void)argc;
	(void)argv;
	s_status_handle = RegisterServiceCtrlHandlerExW(L"" WINSVC_NAME,
	    s_control, NULL);
	if (s_status_handle == NULL)
		return;
	s_report(SERVICE_START_PENDING, NO_ERROR);
	s_redirect_log();
	s_report(SERVICE_RUNNING, NO_ERROR);
	rc = s_run_daemon();
	/* A daemon that could not start (a bad config) says why only in its
	 * log file: the Event Log gets a line that points there. */
	if (rc != 0)
		log_warnx("the service stops: the daemon exited with code %d "
		    "(its reason is in %s beside the config)", rc, S_LOG_FILE);
	fflush(stderr);
	s_report(SERVICE_STOPPED, rc == 0 ? NO_ERROR :
	    ERROR_SERVICE_SPECIFIC_ERROR);
}

static int
s_run(int argc, char **argv)
{
	SERVICE_TABLE_ENTRYW table[] = {
		{ (wchar_t *)L"" WINSVC_NAME, s_service_main },
		{ NULL, NULL },
	};

	s_argc = argc;
	s_argv = argv;
	if (StartServiceCtrlDispatcherW(table))
		return 0;
	if (GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		/* Started from a console: run in the foreground. */
		return s_run_daemon();
	}
	return s_syserr("cannot connect to the service control manager");
}

int
winsvc_main(int argc, char **argv)
{
	if (strcmp(argv[1], WINSVC_INSTALL) == 0)
		return s_install(argc, argv);
	if (strcmp(argv[1], WINSVC_UNINSTALL) == 0)
		return s_uninstall();
	if (strcmp(argv[1], WINSVC_CONFIGURE) == 0)
		return s_configure_installed();
	return s_run(argc, argv);
}
