/*
 * Keeping connection slots for those who use them: slow clients (a header
 * line every few seconds, each resetting libmicrohttpd's idle timeout)
 * must not hold every slot. Three rules, applied by the accept policy and
 * a watchdog thread:
 *   - one client address holds at most max_connections_per_address;
 *   - a request whose headers are not complete header_timeout after the
 *     connection started (or after its previous request ended) is cut,
 *     however steadily it trickles;
 *   - the last reserved_connections slots go only to addresses with no
 *     request still waiting for its headers, so a health check or a
 *     well-behaved client gets in while slow ones hold the rest.
 * The scheduler runs on threads of its own, never in a connection slot.
 */
#include "server_internal.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct srv_conn {
	srv_conn *prev, *next;
	struct sockaddr_storage addr;
	int fd;
	int64_t deadline_ns;   /* headers due by then; 0 while a request is handled */
	bool cut;
};

static bool same_address(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr,
		              sizeof(struct in_addr)) == 0;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
		              sizeof(struct in6_addr)) == 0;
	return true;
}

enum MHD_Result pond__server_guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)addrlen;
	pond_server *srv = cls;
	srv_guard *g = &srv->guard;
	size_t same = 0, waiting_same = 0;
	pthread_mutex_lock(&g->mu);
	for (srv_conn *c = g->head; c; c = c->next) {
		if (!same_address(addr, &c->addr))
			continue;
		same++;
		waiting_same += c->deadline_ns != 0;
	}
	size_t total = g->count;
	pthread_mutex_unlock(&g->mu);
	const pond_server_options *o = &srv->opts;
	if (same >= (size_t)o->max_connections_per_address)
		return MHD_NO;
	if (total + (size_t)o->reserved_connections >= (size_t)o->max_connections && waiting_same)
		return MHD_NO;
	return MHD_YES;
}

void pond__server_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
	pond_server *srv = cls;
	srv_guard *g = &srv->guard;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		srv_conn *c = pond_calloc(1, sizeof(*c));
		if (!c)
			return;
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		c->fd = fd ? fd->connect_fd : -1;
		if (ad && ad->client_addr) {
			size_t len = ad->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
			                                                    : sizeof(struct sockaddr_in);
			memcpy(&c->addr, ad->client_addr, len);
		}
		c->deadline_ns = pond_time_mono_ns() + (int64_t)srv->opts.header_timeout_ms * 1000000;
		pthread_mutex_lock(&g->mu);
		c->next = g->head;
		if (g->head)
			g->head->prev = c;
		g->head = c;
		g->count++;
		pthread_mutex_unlock(&g->mu);
		*socket_context = c;
		return;
	}
	srv_conn *c = *socket_context;
	if (!c)
		return;
	/* under the lock, so the watchdog never touches a socket being closed */
	pthread_mutex_lock(&g->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	g->count--;
	pthread_mutex_unlock(&g->mu);
	pond_free(c);
	*socket_context = NULL;
}

static srv_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

void pond__server_guard_headers_done(pond_server *srv, struct MHD_Connection *conn)
{
	srv_conn *c = conn_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&srv->guard.mu);
	c->deadline_ns = 0;
	pthread_mutex_unlock(&srv->guard.mu);
}

void pond__server_guard_request_done(pond_server *srv, struct MHD_Connection *conn)
{
	srv_conn *c = conn_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&srv->guard.mu);
	c->deadline_ns = pond_time_mono_ns() + (int64_t)srv->opts.header_timeout_ms * 1000000;
	pthread_mutex_unlock(&srv->guard.mu);
}

static void *watchdog_main(void *arg)
{
	pond_server *srv = arg;
	srv_guard *g = &srv->guard;
	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		int64_t now = pond_time_mono_ns();
		for (srv_conn *c = g->head; c; c = c->next) {
			if (c->deadline_ns && now > c->deadline_ns && !c->cut && c->fd >= 0) {
				/* libmicrohttpd's thread sees end of input and closes it */
				shutdown(c->fd, SHUT_RDWR);
				c->cut = true;
				pond_debug("http: cut a connection whose headers took over %d ms", srv->opts.header_timeout_ms);
			}
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&g->cond, &g->mu, &ts);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int pond__server_guard_start(pond_server *srv, pond_error *err)
{
	srv_guard *g = &srv->guard;
	g->stop = false;
	if (pthread_create(&g->thread, NULL, watchdog_main, srv) != 0)
		return pond_error_set(err, POND_EIO, "could not start the server's connection watchdog");
	g->started = true;
	return 0;
}

void pond__server_guard_stop(pond_server *srv)
{
	srv_guard *g = &srv->guard;
	if (!g->started)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thread, NULL);
	g->started = false;
}
