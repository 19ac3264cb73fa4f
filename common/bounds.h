/*
 * bounds.h: every bound the controller enforces on what nodes and clients
 * send it, in one place (docs/security.md, "Bounds", explains each and
 * the memory they add up to). The checks live in common/wirecheck.c,
 * which counts on the encoded bytes before protobuf-c allocates anything;
 * the node daemon's batching uses the same numbers so it never sends what
 * the controller refuses. Included by wire.c, wirecheck.c, the controller
 * and the node.
 */
#ifndef HVP_BOUNDS_H
#define HVP_BOUNDS_H

/* One message on any socket (node or admin), in bytes. */
#define LIMIT_MESSAGE_BYTES (4u * 1024 * 1024)
/* The controller lets frames up to this size reach it (ZMQ_MAXMSGSIZE),
 * so a message over LIMIT_MESSAGE_BYTES but under this is refused and
 * logged with its sender rather than dropped by ZeroMQ in silence;
 * ZeroMQ still drops a bigger frame, and the connection with it. */
#define LIMIT_FRAME_BYTES (2u * LIMIT_MESSAGE_BYTES)

/* Everything protobuf-c would allocate for one message: every field
 * occurrence (strings, submessages, repeated entries, unknown fields) at
 * any depth. This is what keeps a 4 MiB message of two-byte entries from
 * becoming millions of allocations. */
#define LIMIT_MESSAGE_FIELDS 131072u
/* Nesting of submessages (the schema needs 4). */
#define LIMIT_MESSAGE_DEPTH 8u

/* An inventory (in Hello or Inventory). A Hyper-V host runs at most 1,024
 * virtual machines (Microsoft's documented maximum for Windows Server
 * 2016 and later); registered but stopped ones count too. */
#define LIMIT_GUESTS 4096u
/* Configuration file, checkpoints and disks: 4 SCSI controllers x 64
 * disks, 4 IDE, and room for the rest. */
#define LIMIT_PATHS_PER_GUEST 512u
/* Integration services (Hyper-V has six). */
#define LIMIT_SERVICES_PER_GUEST 64u
/* Cluster shared volumes a node reports. */
#define LIMIT_CSVS 1024u
/* VSS providers installed on a host. */
#define LIMIT_PROVIDERS 64u
/* Every guest, service, path, CSV and provider of one inventory. */
#define LIMIT_INVENTORY_ITEMS 65536u
/* An encoded inventory, in bytes (the message limit, less room for the
 * Hello around it). */
#define LIMIT_INVENTORY_BYTES (LIMIT_MESSAGE_BYTES - 64u * 1024)

/* Drift records in one DriftBatch; the node's journal batches at most
 * this many. */
#define LIMIT_DRIFT_BATCH 256u
/* Findings in one DryRunResult. */
#define LIMIT_DRYRUN_FINDINGS 32768u
/* Clusters one DPM server protects (Hello.clusters, and the parts of a
 * Hello, Ack or Heartbeat). */
#define LIMIT_CLUSTERS 256u

/* Messages one connection may have received and not yet handled
 * (ZMQ_RCVHWM of the controller's sockets). */
#define LIMIT_QUEUED_MESSAGES 4

/* Admin replies are sent in parts of at most this much text each. */
#define LIMIT_REPLY_PART_BYTES (1024u * 1024)

#endif
