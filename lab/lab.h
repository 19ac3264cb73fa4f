/*
 * lab.h: hvpolicy-lab, a simulated cluster on one machine (docs/lab.md).
 * What the lab's files share: the lab directory and its metadata
 * (lab_dir.c), argument parsing (lab_args.c), the seeded generator
 * (lab_rand.c), guests (lab_guest.c), node creation (lab_init.c),
 * processes (lab_procs.c), host edits (lab_edit.c), and the few
 * OS-specific helpers (lab_os_posix.c, chosen by the build). main.c holds
 * the command table.
 */
#ifndef HVP_LAB_H
#define HVP_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hoststate.h"
#include "platform.h"

/* Exit codes: as the CLI's. */
#define LAB_EXIT_OK 0
#define LAB_EXIT_FAIL 1		/* failure, or a name that is not in the lab */
#define LAB_EXIT_USAGE 64

#define LAB_PROGRAM "hvpolicy-lab"
#define LAB_MARKER "lab.yaml"
#define LAB_FORMAT 1			/* lab.yaml `lab:` version */
#define LAB_DEFAULT_CLUSTER "LAB-CLUSTER"
#define LAB_DEFAULT_PORT 7600
#define LAB_DEFAULT_SEED 1
#define LAB_DPM_SERVER "DPM01"
#define LAB_HEARTBEAT_SECONDS 1
#define LAB_UP_TIMEOUT_MS 30000
#define LAB_STOP_TIMEOUT_MS 10000
#define LAB_LOCK_TIMEOUT_MS 60000
#define LAB_MAX_NODES 999
#define LAB_MAX_CSVS 64
#define LAB_MAX_GUESTS 99999
#define LAB_MAX_CLUSTERS 50
/* ZeroMQ ipc:// endpoints are Unix socket paths: keep them short. */
#define LAB_MAX_SOCKET_PATH 100

/* The VSS providers every lab host has (domain.md). */
#define LAB_SW_PROVIDER_ID "{b5946137-7b9f-4925-af80-51abd60b20d5}"
#define LAB_SW_PROVIDER_NAME "Microsoft Software Shadow Copy provider 1.0"
#define LAB_SW_PROVIDER_VERSION "1.0.0.7"
#define LAB_HW_PROVIDER_ID "{2f900f90-00e9-440e-873a-96ca5eb079e5}"
#define LAB_HW_PROVIDER_NAME "Microsoft iSCSI Target VSS Hardware Provider"
#define LAB_HW_PROVIDER_VERSION "3.3.16544"
#define LAB_AGENT_LOG "DPMRACurr.errlog"
#define LAB_DSGROUPS_FILE "DataSourceGroups.xml"

/*
 * A lab directory, opened: absolute paths and the metadata of lab.yaml.
 */
typedef struct lab {
	char *dir;		/* absolute */
	char *cluster;		/* the one cluster, or the first of several */
	/* --clusters N (N > 1): CLUSTER-1 ... CLUSTER-N behind DPM01; none
	 * (0) in a lab of one cluster. */
	char **clusters;
	size_t nclusters;
	int port;
	uint64_t seed;
	char **csvs;		/* Volume1 ... */
	size_t ncsvs;
	char **nodes;		/* names of DIR/nodes/NAME holding node.yaml */
	size_t nnodes;
} lab;

/* Opens DIR: refuses (printing why, naming DIR) a directory without a
 * valid lab.yaml. NULL on failure. */
lab *lab_open(const char *dir);
void lab_free(lab **l);
/* Writes DIR/lab.yaml for l (init). */
int lab_write_marker(const lab *l, char **err);

/* Paths inside the lab; owned. */
char *lab_path(const lab *l, const char *rel);
char *lab_node_dir(const lab *l, const char *node);
char *lab_node_file(const lab *l, const char *node, const char *file);
char *lab_socket_path(const lab *l);

/* The lab's spelling of a node name (case-insensitive), or NULL. */
const char *lab_node_name(const lab *l, const char *name);
/* As lab_node_name, but prints the lab's nodes when name is not one. */
const char *lab_node_known(const lab *l, const char *name);
/* The lab's spelling of a CSV name (case-insensitive), or NULL. */
const char *lab_csv_name(const lab *l, const char *name);
/* Resolves "Volume1,Volume2" into the lab's spellings: an owned array of
 * borrowed names. Prints the problem and returns -1 with the exit code in
 * *code for an unknown or repeated volume or an empty list. */
int lab_csv_list(const lab *l, const char *list, const char ***out,
    size_t *count, int *code);

/* Loads / saves one node's host file; errors are printed. */
host_state *lab_host_load(const lab *l, const char *node);
int lab_host_save(const lab *l, const char *node, const host_state *h);

/* Every node's host state, in l->nodes order, each host file's lock
 * (HOSTFILE.lock, filelock.h) held from load to release, so a node
 * daemon's correction and this edit never overwrite each other. */
typedef struct lab_hosts {
	host_state **h;
	platform_lock **locks;
	size_t n;
} lab_hosts;
int lab_hosts_load(const lab *l, lab_hosts *out);
void lab_hosts_release(lab_hosts *hs);
/* Finds the one node owning guest (name or GUID, case-insensitive):
 * index in l->nodes, or -1 after printing why (unknown, or on two nodes). */
int lab_guest_owner(const lab *l, lab_hosts *hs, const char *guest);

/* Takes the lab's edit lock (DIR/lab.lock) for the rest of the process,
 * waiting up to LAB_LOCK_TIMEOUT_MS for another command to finish: one
 * editing command at a time. -1 after printing why. */
int lab_lock(const lab *l);

/* Prints "hvpolicy-lab: CMD: message" on stderr and returns code; cmd
 * NULL means the command being run (lab_error_set_command). */
int lab_error(const char *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lab_error_set_command(const char *cmd);

/*
 * Arguments of one command: options (long names, "--name VALUE",
 * "--name=VALUE"; a value option may repeat when .repeat is set) and
 * positionals, in order. "--" ends options.
 */
typedef struct lab_opt {
	const char *name;	/* without "--" */
	const char **values;	/* where the values go, in order */
	size_t max;		/* slots in values; 1 for a plain option */
	size_t *count;		/* how many were given (may be NULL if max 1) */
} lab_opt;

#define LAB_MAX_OPTS 16		/* options of one command */

/* Parses argv[1..argc) (argv[0] is the command). Positionals go into
 * pos (borrowed; at most maxpos). Returns 0, or LAB_EXIT_USAGE after
 * printing the problem and the usage line. */
int lab_args_parse(const char *cmd, const char *usage, int argc, char **argv,
    const lab_opt *opts, size_t nopts, const char **pos, size_t minpos,
    size_t maxpos, size_t *npos);
/* Parses a whole decimal number in [min, max] for option name. */
int lab_args_int(const char *cmd, const char *name, const char *text,
    int64_t min, int64_t max, int64_t *out);

/* A small deterministic generator (splitmix64): the same seed gives the
 * same lab. */
typedef struct lab_rand {
	uint64_t state;
} lab_rand;
void lab_rand_init(lab_rand *r, uint64_t seed);
uint64_t lab_rand_next(lab_rand *r);
/* Uniform in [0, n) for n > 0. */
size_t lab_rand_below(lab_rand *r, size_t n);
/* A version-4 GUID, lowercase, no braces. */
void lab_rand_guid(lab_rand *r, char out[37]);
/* Shuffles idx[0..n). */
void lab_rand_shuffle(lab_rand *r, size_t *idx, size_t n);
/* Seeds r from the system's random source (new guests after init). */
void lab_rand_init_fresh(lab_rand *r);

/* Builds a guest's paths on the given volumes: the configuration and the
 * first disk on vols[0], one more disk per further volume; disks beyond
 * the volumes (kept from old, which may be NULL) stay on vols[0]. Disk
 * file names are kept from old where it has them. */
void lab_guest_paths(host_guest *g, const char *const *vols, size_t nvols,
    const host_guest *old);
/* A new guest as Hyper-V creates it: running, VSS/Heartbeat/Shutdown on. */
void lab_guest_make(host_guest *g, const char *name, const char *guid,
    const char *const *vols, size_t nvols);

/* Writes one node: key pair (and the public key into keys/nodes), the
 * node config, the state directory and a host file without guests or
 * policy settings (hyperv-node: the lab's CSVs and providers). Refuses an
 * existing node. -1 after printing why. */
int lab_node_create(const lab *l, const char *name, host_role role);
/* The same for a Hyper-V node of cluster (NULL: the lab's first). */
int lab_node_create_in(const lab *l, const char *name, host_role role,
    const char *cluster);
/* The host a new node starts with (owned); cluster as above (a DPM
 * server of a lab of several clusters protects them all). */
host_state *lab_host_new(const lab *l, const char *name, host_role role,
    const char *cluster);

/* Processes (lab_procs.c). */
/* Runs the CLI's status and fills online[i] for each of l->nodes; -1
 * when the controller did not answer. */
int lab_status_online(const lab *l, bool *online);
/* True when the lab's controller runs (pid file and live process). */
bool lab_controller_running(const lab *l);
/* Starts node's daemon unless running; waits for it to be online when
 * the controller runs. Returns an exit code after printing. */
int lab_start_node(const lab *l, const char *cmd, const char *node);
/* Makes the controller re-read nodeKeys (SIGHUP). */
int lab_reload_controller(const lab *l, const char *cmd);

/* OS-specific helpers (lab_os_posix.c; candidates for platform.h). */
/* Absolute, symlink-free form of an existing path; owned or NULL. */
char *lab_os_realpath(const char *path);
/* The running executable's path; owned or NULL when unknown. */
char *lab_os_self_exe(void);
/* True when path is a file this user may execute. */
bool lab_os_executable(const char *path);
/* Separator of the directories in PATH. */
char lab_os_path_list_separator(void);
/* True when pid runs (not a zombie) and, where the OS tells, its command
 * line holds marker (the config file the lab gave it). */
bool lab_os_process_running(long pid, const char *marker);
/* Sends the reload signal (SIGHUP). */
int lab_os_process_reload(long pid);

/* Commands: argv[0] is the command name. Each returns an exit code. */
int lab_cmd_add_guest(int argc, char **argv);
int lab_cmd_add_node(int argc, char **argv);
int lab_cmd_delete_registry(int argc, char **argv);
int lab_cmd_down(int argc, char **argv);
int lab_cmd_env(int argc, char **argv);
int lab_cmd_init(int argc, char **argv);
int lab_cmd_migrate(int argc, char **argv);
int lab_cmd_move_storage(int argc, char **argv);
int lab_cmd_remove_guest(int argc, char **argv);
int lab_cmd_set_integration(int argc, char **argv);
int lab_cmd_set_registry(int argc, char **argv);
int lab_cmd_show(int argc, char **argv);
int lab_cmd_start_node(int argc, char **argv);
int lab_cmd_stop_node(int argc, char **argv);
int lab_cmd_up(int argc, char **argv);

#endif
