/* events: which Events the controller has already posted, so that a
 * condition reported only by an Event (no status to compare against) is
 * posted once per object generation, not on every reconcile of the
 * object. Kubernetes' own recorder keeps the same kind of memory (it
 * aggregates repeats into a count); like it, this one lives in the
 * process: a restart or a new leader posts a current condition once more.
 *
 * Bounded: at most `cap` objects are remembered; the one remembered
 * longest ago is forgotten first. Thread-safe. */
#ifndef CTL_EVENTS_H
#define CTL_EVENTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_event_memo;

/* 0 or -ENOMEM (also for cap 0). */
int ctl_event_memo_new(size_t cap, struct ctl_event_memo **ret);
/* NULL is fine. */
void ctl_event_memo_free(struct ctl_event_memo *m);

/* Whether an Event with reason about the object uid at generation is news:
 * true the first time (and it is remembered), false while the object's
 * last remembered Event has the same generation and reason. Strings are
 * copied; NULL uid or reason is always news. */
bool ctl_event_memo_first(struct ctl_event_memo *m, const char *uid, int64_t generation, const char *reason);

/* The object no longer has that condition (or is gone): its next Event of
 * any reason is news again. */
void ctl_event_memo_forget(struct ctl_event_memo *m, const char *uid);

struct gw_object;
struct ctl_plan;
/* Drops from p the Events that report what only an Event reports
 * (ClassNotFound: the object's status is not ours to write) when m says
 * they were posted for gw's current generation already; a plan for gw
 * without such an Event makes m forget gw. */
void ctl_event_memo_filter(struct ctl_event_memo *m, const struct gw_object *gw, struct ctl_plan *p);

#endif
