/*
 * libmicrohttpd, loaded when `pond serve` (or a test) starts the HTTP
 * server: the libmicrohttpd functions pond calls, each forwarding to the
 * real one (dynlib.h says why and what happens when libmicrohttpd.so.12
 * is missing). A function pond starts calling is added here, or the link
 * fails with an undefined reference.
 */
#include "util/dynlib.h"

#include <microhttpd.h>
#include <stdarg.h>

static pond__dynlib mhd_lib = POND__DYNLIB_INIT("libmicrohttpd.so.12", "the HTTP server", "libmicrohttpd12");

POND__DYNLIB_FORWARD_VOID(mhd_lib, MHD_stop_daemon, (struct MHD_Daemon *daemon), (daemon))
POND__DYNLIB_FORWARD(mhd_lib, MHD_socket, MHD_quiesce_daemon, (struct MHD_Daemon *daemon), (daemon))
POND__DYNLIB_FORWARD(mhd_lib, int, MHD_get_connection_values,
                     (struct MHD_Connection *connection, enum MHD_ValueKind kind, MHD_KeyValueIterator iterator,
                      void *iterator_cls),
                     (connection, kind, iterator, iterator_cls))
POND__DYNLIB_FORWARD(mhd_lib, const char *, MHD_lookup_connection_value,
                     (struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key),
                     (connection, kind, key))
POND__DYNLIB_FORWARD(mhd_lib, enum MHD_Result, MHD_queue_response,
                     (struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response),
                     (connection, status_code, response))
POND__DYNLIB_FORWARD(mhd_lib, struct MHD_Response *, MHD_create_response_from_buffer_with_free_callback,
                     (size_t size, void *buffer, MHD_ContentReaderFreeCallback crfc), (size, buffer, crfc))
POND__DYNLIB_FORWARD(mhd_lib, struct MHD_Response *, MHD_create_response_from_callback,
                     (uint64_t size, size_t block_size, MHD_ContentReaderCallback crc, void *crc_cls,
                      MHD_ContentReaderFreeCallback crfc),
                     (size, block_size, crc, crc_cls, crfc))
POND__DYNLIB_FORWARD(mhd_lib, enum MHD_Result, MHD_add_response_header,
                     (struct MHD_Response *response, const char *header, const char *content),
                     (response, header, content))
POND__DYNLIB_FORWARD_VOID(mhd_lib, MHD_destroy_response, (struct MHD_Response *response), (response))

/* The options after dh_cls go on as they came, through the va_list form
 * the library provides for this. */
typedef struct MHD_Daemon *(*mhd_start_va_fn)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                              MHD_AccessHandlerCallback, void *, va_list);

struct MHD_Daemon *(MHD_start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                      void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	static void *sym;
	mhd_start_va_fn fn = (mhd_start_va_fn)pond__dynlib_sym(&mhd_lib, "MHD_start_daemon_va", &sym);
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *daemon = fn(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return daemon;
}

/* The two info getters are variadic for information kinds that would take
 * an argument, but none does: libmicrohttpd 0.9.x reads nothing after
 * info_type (its MHD_get_connection_info and MHD_get_daemon_info have no
 * va_start), so nothing more is passed on. */
typedef const union MHD_ConnectionInfo *(*mhd_connection_info_fn)(struct MHD_Connection *,
                                                                  enum MHD_ConnectionInfoType, ...);
typedef const union MHD_DaemonInfo *(*mhd_daemon_info_fn)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...);

const union MHD_ConnectionInfo *(MHD_get_connection_info)(struct MHD_Connection *connection,
                                                          enum MHD_ConnectionInfoType info_type, ...)
{
	static void *sym;
	mhd_connection_info_fn fn =
		(mhd_connection_info_fn)pond__dynlib_sym(&mhd_lib, "MHD_get_connection_info", &sym);
	return fn(connection, info_type);
}

const union MHD_DaemonInfo *(MHD_get_daemon_info)(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
	static void *sym;
	mhd_daemon_info_fn fn = (mhd_daemon_info_fn)pond__dynlib_sym(&mhd_lib, "MHD_get_daemon_info", &sym);
	return fn(daemon, info_type);
}
