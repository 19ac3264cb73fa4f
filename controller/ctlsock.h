/*
 * ctlsock.h: the local control socket is the controller's alone. Binds
 * the control socket's ZeroMQ socket so that only this user and root can
 * reach it: the directory is made 0700 when missing and refused when
 * others may write to it, the socket file is created under umask 077
 * (never a moment with a wider mode), and libzmq checks every
 * connecting process's uid (SO_PEERCRED) before a byte is read. Called by
 * main.c once at start. docs/security.md, "The control socket".
 */
#ifndef HVP_CTLSOCK_H
#define HVP_CTLSOCK_H

/* Binds sock (a ROUTER not yet bound) at ipc://path. 0, or -1 with *err
 * (owned) naming the path and what is wrong. */
int ctlsock_bind(void *sock, const char *path, char **err);

#endif
