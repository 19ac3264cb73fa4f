/*
 * dpmpaths.h: where DPM is installed on this host, and so where its
 * DataSourceGroups.xml and agent log are. Portable C (the file system is
 * asked through a callback), tested on every platform; backend_win.c
 * calls it with the registry's InstallPath and %ProgramFiles%.
 *
 * Order: InstallPath from HKLM\SOFTWARE\Microsoft\Microsoft Data
 * Protection Manager\Setup when it is set; else the first per-version
 * default folder (win_facts.h WINF_DPM_DIRS, newest first) that exists
 * under %ProgramFiles%; else the newest default, reported as not found.
 */
#ifndef HVP_NODE_DPMPATHS_H
#define HVP_NODE_DPMPATHS_H

#include <stdbool.h>

typedef bool (*dpmpaths_exists_fn)(const char *path, void *ctx);

/* The install folder (no trailing backslash), owned. *found (may be
 * NULL) is false when neither the registry nor a default folder named
 * one. install_path may be NULL or empty. */
char *dpmpaths_install_dir(const char *install_path,
    const char *program_files, dpmpaths_exists_fn exists, void *ctx,
    bool *found);
/* <dir>\Config\DataSourceGroups.xml and <dir>\Temp\DPMRACurr.errlog;
 * owned. */
char *dpmpaths_dsgroups(const char *install_dir);
char *dpmpaths_agent_log(const char *install_dir);

#endif
