/* leader: leader election on a coordination.k8s.io/v1 Lease, the way
 * client-go's leaderelection does it.
 *
 * Every replica runs an elector. It takes the Lease when the Lease is free
 * (no holder), already ours, or expired: expiry is judged by our own clock
 * from when we last saw the record change, plus the holder's
 * leaseDurationSeconds, so clock skew between replicas does not matter.
 * Writes carry metadata.resourceVersion, so when two replicas race, exactly
 * one update wins (the other gets 409 Conflict and keeps waiting).
 *
 * The leader renews every retry period. The renew deadline counts from the
 * start of the last successful acquire or renew attempt (the other replicas
 * may have seen that renewTime as early as that). If no renewal succeeds
 * within it (each attempt's timeout is cut to what is left of it), the
 * elector stops leading at once, before the lease can expire (lease
 * duration > renew deadline), so another replica can never lead while we
 * still act. The elector then goes back to trying to acquire, so on_started
 * may be called again later.
 *
 * Acting on leadership is fenced, not left to the callbacks: the flag
 * returned by leader_fence() is true whenever this replica does not lead,
 * and the elector itself sets it the moment leadership ends (deadline
 * missed, someone else holds the Lease, or leader_stop). Give it to every
 * client that writes for the leader (kube_client_set_stop): no request
 * starts and no retry waits once it is set, and one in flight aborts. Give
 * those clients leader_term_end() as well (kube_client_set_deadline): it
 * fences them by the clock, even before the elector's thread has run.
 *
 * Callbacks (on_started, on_stopped, on_new_leader) run on a separate
 * callback thread, one at a time and in order, so a callback that blocks
 * (waiting for caches, stopping workers) never delays a renewal. A term that
 * is over before its on_started could run is skipped (neither callback).
 *
 * On leader_stop a leader sets the fence, waits (a bounded time) for
 * on_stopped to return, then releases the Lease (holderIdentity "" and
 * leaseDurationSeconds 1) so that another replica takes over at its next
 * retry instead of after a whole lease duration. If on_stopped does not
 * return in time the Lease is left to expire. */
#ifndef GW_LEADER_H
#define GW_LEADER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kube_client.h"

struct leader_opts {
    const char *ns;                 /* the Lease's namespace (required) */
    const char *name;               /* the Lease's name (required) */
    const char *identity;           /* NULL = hostname + "_" + random hex */
    unsigned lease_ms;              /* 0 = 15000 */
    unsigned renew_deadline_ms;     /* 0 = 10000 */
    unsigned retry_period_ms;       /* 0 = 2000 */
    void (*on_started)(void *ud);
    void (*on_stopped)(void *ud);
    /* The observed holder changed (NULL or "" when none); optional. */
    void (*on_new_leader)(void *ud, const char *identity);
    void *ud;
};

struct leader;

/* Copies opts. cfg must outlive the elector. -EINVAL when ns or name is
 * missing or the durations are not lease > renew deadline > retry period. */
int leader_new(struct kube_config *cfg, const struct leader_opts *opts, struct leader **ret);
int leader_start(struct leader *le);
/* Stops the elector: fence, on_stopped (if leading), release, join both
 * threads. Idempotent. Not from a callback. */
void leader_stop(struct leader *le);
void leader_free(struct leader *le);

bool leader_is_leader(struct leader *le);
/* True whenever this replica does not lead (see above); valid until
 * leader_free. */
const atomic_bool *leader_fence(struct leader *le);
/* When the current term ends at the latest, by gw_mono_ms(): the renew
 * deadline counted from the start of the last successful acquire or renew
 * attempt (0 before the first term). The elector sets the fence at that
 * moment, but only once its thread runs: after the whole process was
 * stopped (SIGSTOP, a paused VM) past it, another thread may run first.
 * Give it to every writing client too (kube_client_set_deadline), so that
 * none starts a request once the term is over, whichever thread runs
 * first. Valid until leader_free. */
const _Atomic uint64_t *leader_term_end(struct leader *le);
/* Our identity as written into holderIdentity; valid until leader_free. */
const char *leader_identity(const struct leader *le);
/* The last failed Lease request (caller frees), or NULL. */
char *leader_last_error(struct leader *le);

/* hostname + "_" + 16 random hex digits (caller frees). */
int leader_default_identity(char **ret);
/* Formats a CLOCK_REALTIME time as a Kubernetes MicroTime
 * ("2006-01-02T15:04:05.000000Z") into out. */
void leader_format_microtime(const struct timespec *ts, char out[32]);

#endif
