/* acceptor: the TLS server's own accept loop.
 *
 * libmicrohttpd's thread pool accepts in whichever worker wakes first, and
 * that worker takes up to ten waiting connections at once. A client that
 * opens its keep-alive connections together (the API server, a load
 * generator) then has them all on one worker: one core serves them while
 * the other idles. The acceptor accepts on a thread of its own and hands
 * each connection to the daemon with MHD_add_connection, which places it
 * on worker (socket number modulo pool size), so consecutive connections
 * alternate between workers.
 *
 * While the server has no room, connections wait in the listen backlog, as
 * they did with libmicrohttpd's own accept. The daemon counts a connection
 * only once its worker has taken it from the hand-over list, so a burst
 * handed over at once would overrun the limit: has_room is told how many
 * are handed over and not yet started (wh_acceptor_started). */
#ifndef WH_ACCEPTOR_H
#define WH_ACCEPTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct MHD_Daemon;
struct wh_acceptor;

/* A non-blocking listening socket bound to sa (SO_REUSEADDR, the given
 * backlog): 0 with *ret_fd and the bound port in *ret_port, or a negative
 * errno. */
int wh_acceptor_listen(const struct sockaddr *sa, socklen_t len, int backlog, int *ret_fd, uint16_t *ret_port);

/* Starts accepting on listen_fd (taken: closed by wh_acceptor_stop) into d,
 * which must run with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC, and with
 * a connection limit above has_room's. has_room(ctx, pending) is asked
 * before each accept (NULL: always room). 0 or a negative errno (the socket is then closed). */
int wh_acceptor_start(int listen_fd, struct MHD_Daemon *d, bool (*has_room)(void *ctx, size_t pending), void *ctx,
                      struct wh_acceptor **ret);

/* A connection handed over has started (the daemon's
 * MHD_CONNECTION_NOTIFY_STARTED). NULL is a no-op. */
void wh_acceptor_started(struct wh_acceptor *a);

/* Stops accepting and closes the listening socket; connections already
 * handed over stay with the daemon, and may still start: free the
 * acceptor only once the daemon has stopped. NULL is a no-op. */
void wh_acceptor_stop(struct wh_acceptor *a);
/* wh_acceptor_stop, then frees a. NULL is a no-op. */
void wh_acceptor_free(struct wh_acceptor *a);

#endif
