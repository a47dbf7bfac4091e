/*
 * pond pipeline layer: pipelines defined in pond.yml (steps that ingest,
 * transform, test, export or run a shell command), cron schedules in IANA
 * time zones, a scheduler that fires due runs from an injectable clock, runs
 * with retries, backoff and timeouts, run history and per-pipeline leases in
 * the catalog database.
 *
 * The catalog database is the queue: a run is a row in pond_runs. A trigger
 * (manual, api, schedule, catchup) inserts a `queued` row; a scheduler in any
 * process claims queued rows and runs them. A lease row per pipeline
 * (holder, expiry, renewed while running) makes sure one pipeline never runs
 * twice at once, across threads, processes and machines. A run whose
 * holder died stays `running` until its lease expires; reconciliation then
 * marks it `interrupted`.
 *
 * Thread-safety: a pond_catalog is one connection and single-threaded; every
 * function here that takes one uses it only for the call, and each thread
 * must open its own. pond_pipelines (the parsed config) is read-only after
 * loading and may be shared by threads. A pond_scheduler is thread-safe:
 * its functions may be called from any thread (it opens its own catalog
 * connections, one per worker thread). The clock's functions are called
 * from the scheduler thread and from run workers at once.
 *
 * Ownership: results are allocated from a caller-given arena unless the
 * function is a _new/_load/_create (caller frees with the matching _free).
 */
#ifndef POND_PIPELINE_H
#define POND_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pond/catalog.h"
#include "pond/table.h"
#include "pond/util.h"

/* ---- time zones ------------------------------------------------------------ */

/* A time zone from the system tz database (TZif files, RFC 8536), read by
 * pond itself: no TZ environment switching, safe in threads. */
typedef struct pond_tz pond_tz;

/* Loads zone `name` ("Europe/Zurich", "UTC") from $POND_TZDIR, $TZDIR or
 * /usr/share/zoneinfo. "UTC" works without the database. The zone lives in
 * arena. POND_ENOTFOUND "unknown time zone \"X\"". */
int pond_tz_load(pond_tz **out, const char *name, pond_arena *arena, pond_error *err);
/* Parses TZif bytes (tests, fuzzing). */
int pond_tz_parse(pond_tz **out, const char *name, const uint8_t *data, size_t len, pond_arena *arena,
                  pond_error *err);
const char *pond_tz_name(const pond_tz *tz);
/* UTC offset in seconds in effect at unix time t (seconds). */
int32_t pond_tz_offset(const pond_tz *tz, int64_t t);
/* The instant a local wall-clock time (seconds since 1970-01-01 00:00 local)
 * stands for: the earliest instant whose wall time is >= local. So an
 * ambiguous time (fall back) is its first occurrence, and a time that does
 * not exist (spring forward) is the transition instant, the next valid time. */
int64_t pond_tz_local_to_utc(const pond_tz *tz, int64_t local);

/* ---- cron ------------------------------------------------------------------ */

/* A parsed 5-field cron expression: minute hour day-of-month month
 * day-of-week, with *, ranges (1-5), steps (*\/15, 10-40/5), lists (1,3,5),
 * names (jan..dec, sun..sat; 7 is Sunday too) and the aliases @yearly
 * (@annually), @monthly, @weekly, @daily (@midnight), @hourly. When both
 * day fields are restricted a day matches if either does (the standard OR
 * rule). */
typedef struct pond_cron {
	uint64_t minutes;   /* bit n: minute n */
	uint32_t hours;     /* bit n: hour n */
	uint32_t days;      /* bit n: day of month n (1..31) */
	uint16_t months;    /* bit n: month n (1..12) */
	uint8_t weekdays;   /* bit n: weekday n (0 Sunday..6) */
	bool days_star;     /* day-of-month field was unrestricted (* or *\/1) */
	bool weekdays_star;
} pond_cron;

/* Parses expr. Errors name the field: "cron \"0 25 * * *\": hour: 25 is
 * out of range 0-23". An expression that can never fire (30 February) is
 * refused. Depends on util only (fuzzed by tests/fuzz/fuzz_cron.c). */
int pond_cron_parse(pond_cron *out, const char *expr, pond_error *err);
/* True when a local calendar minute matches (wday 0 = Sunday). */
bool pond_cron_matches(const pond_cron *cron, int64_t year, unsigned month, unsigned day, unsigned hour,
                       unsigned minute, unsigned wday);
/* The first fire time strictly after `after_ms` (ms since the epoch) in tz
 * (NULL: UTC), as ms since the epoch. Local times that do not exist fire
 * once at the next valid instant; ambiguous ones fire once (the first).
 * POND_ENOTFOUND when nothing fires within 10 years. */
int pond_cron_next(const pond_cron *cron, const pond_tz *tz, int64_t after_ms, int64_t *out_ms, pond_error *err);

/* ---- pipelines (pond.yml) --------------------------------------------------- */

typedef enum {
	POND_STEP_INGEST = 0,   /* arg: source name (sources/NAME.yml) */
	POND_STEP_TRANSFORM,    /* arg: model selector ("+monthly"); NULL: all */
	POND_STEP_TEST,         /* arg: selector; NULL: all */
	POND_STEP_EXPORT,       /* arg: export name (exports/NAME.yml) */
	POND_STEP_SHELL,        /* arg: command for /bin/sh -c */
	POND_STEP_MAINTAIN,     /* arg: a table; NULL: all. pond.yml's maintenance policy */
} pond_step_kind;

/* "ingest", "transform", "test", "export", "shell", "maintain". */
const char *pond_step_kind_name(pond_step_kind kind);

typedef struct pond_step {
	const char *name;        /* unique in its pipeline: `name:` or the default
	                          * ("ingest:SOURCE", "export:NAME", "transform",
	                          * "test", "shell"; repeats get "#2", "#3") */
	pond_step_kind kind;
	const char *arg;         /* see pond_step_kind */
	int retries;             /* extra attempts after a failure; default 0 */
	int64_t retry_delay_ms;  /* first backoff; doubles per attempt, with jitter */
	int64_t timeout_ms;      /* per attempt; 0: none */
	bool continue_on_failure;/* on_failure: continue (default stop) */
	size_t *after;           /* indexes of steps this one waits for */
	size_t nafter;
	int line;                /* in pond.yml */
} pond_step;

typedef struct pond_pipeline {
	const char *name;
	const char *schedule;    /* the cron text; NULL: manual runs only */
	pond_cron cron;
	const char *timezone;    /* IANA name; "UTC" by default */
	const pond_tz *tz;
	bool catchup;            /* run every missed fire (true) or the latest */
	const char *on_failure_webhook;  /* POSTed a JSON body; may be NULL */
	const char *on_failure_command;  /* run by /bin/sh; may be NULL */
	pond_step *steps;        /* in file order; `after` makes it a graph */
	size_t nsteps;
	int line;
} pond_pipeline;

/* Settings from pond.yml `defaults:` that are not per step. */
typedef struct pond_pipeline_settings {
	int concurrency;         /* runs at once per scheduler; default 4 */
	int64_t lease_ms;        /* lease length; renewed every third; default 60 s */
	int64_t grace_ms;        /* SIGTERM/stop grace for running steps; default 10 s */
	int64_t poll_ms;         /* scheduler wakes at least this often; default 1 s */
	size_t log_cap;          /* bytes of log kept per step; default 64 KiB */
} pond_pipeline_settings;

typedef struct pond_pipelines {
	pond_arena *arena;       /* owns everything */
	const char *root;        /* project folder (working folder of shell steps) */
	pond_pipeline *items;    /* sorted by name */
	size_t count;
	pond_pipeline_settings settings;
} pond_pipelines;

/* Reads the `pipelines:` and `defaults:` keys of a project's pond.yml.
 * Errors name "pond.yml:LINE:COL". Free with pond_pipelines_free. */
int pond_pipelines_load(pond_pipelines **out, const pond_project *project, pond_error *err);
/* The same from a parsed document (tests); what names it in errors. */
int pond_pipelines_parse(pond_pipelines **out, const pond_yaml_node *config, const char *root, const char *what,
                         pond_error *err);
void pond_pipelines_free(pond_pipelines **pipelines);
/* Borrowed; NULL when there is no pipeline of that name. */
const pond_pipeline *pond_pipelines_find(const pond_pipelines *pipelines, const char *name);
/* The step a name refers to (a step name or a kind: its first step); -1. */
long pond_pipeline_step_index(const pond_pipeline *pipeline, const char *name);
/* A pipeline as JSON: name, schedule, timezone, catchup, steps, and
 * next_run_ms (after now_ms; null when unscheduled). Caller json_decref's. */
json_t *pond_pipeline_to_json(const pond_pipeline *pipeline, int64_t now_ms);

/* ---- clocks ----------------------------------------------------------------- */

/* Where the scheduler and runs get time. Tests pass a fake one. */
typedef struct pond_clock {
	/* Wall-clock ms since the epoch. */
	int64_t (*now_ms)(void *payload);
	/* Sleeps until now_ms() >= deadline_ms (a fake clock may simply jump).
	 * May return early; callers loop. */
	void (*sleep_until)(int64_t deadline_ms, void *payload);
	void *payload;
} pond_clock;

/* The real clock (static; never freed). */
const pond_clock *pond_clock_system(void);

/* ---- run history ------------------------------------------------------------ */

typedef enum {
	POND_TRIGGER_MANUAL = 0,  /* pond run */
	POND_TRIGGER_SCHEDULE,
	POND_TRIGGER_CATCHUP,     /* a fire missed while no scheduler ran */
	POND_TRIGGER_API,
} pond_trigger;

const char *pond_trigger_name(pond_trigger trigger);

/* Run statuses as stored: "queued", "running", "success", "failed",
 * "interrupted". Step attempt statuses: "running", "success", "failed",
 * "timeout", "interrupted", "skipped". */

typedef struct pond_run_info {
	int64_t id;
	const char *pipeline;
	const char *trigger;
	const char *parameters;  /* JSON object text */
	const char *status;
	const char *error;       /* NULL unless failed/interrupted */
	const char *holder;      /* who ran it ("host:pid:..."), NULL while queued */
	int64_t scheduled_ms;    /* the fire time of schedule/catchup runs; 0 */
	int64_t queued_ms;
	int64_t started_ms;      /* 0 until running */
	int64_t ended_ms;        /* 0 until finished */
} pond_run_info;

typedef struct pond_step_attempt {
	int64_t run_id;
	const char *step;
	int attempt;             /* 1-based */
	const char *status;
	int64_t rows;            /* -1: not known */
	int64_t bytes;           /* -1: not known */
	int64_t started_ms;
	int64_t duration_ms;
	const char *error;
} pond_step_attempt;

/* Creates pond_runs, pond_run_steps, pond_run_logs, pond_leases and
 * pond_schedule_state if absent (portable SQL; safe to call often). */
int pond_runs_ensure_tables(pond_catalog *cat, pond_error *err);

/* Inserts a queued run; a scheduler (any process) runs it. parameters is
 * a JSON object text or NULL. */
int pond_run_enqueue(pond_catalog *cat, const char *pipeline, pond_trigger trigger, const char *parameters,
                     int64_t now_ms, int64_t *out_id, pond_error *err);

/* Newest first; pipeline NULL: all; limit 0: 100; before_id > 0: older
 * than that id (paging). */
int pond_runs_list(pond_catalog *cat, const char *pipeline, int64_t before_id, size_t limit, pond_arena *arena,
                   pond_run_info **out, size_t *count, pond_error *err);
/* POND_ENOTFOUND "no run N". */
int pond_run_get(pond_catalog *cat, int64_t id, pond_arena *arena, pond_run_info *out, pond_error *err);
/* A run's step attempts in the order they started. */
int pond_run_steps(pond_catalog *cat, int64_t id, pond_arena *arena, pond_step_attempt **out, size_t *count,
                   pond_error *err);
/* The log of one step (step NULL: every step, each under a "== STEP ==" line),
 * "" when none. Text in arena. */
int pond_run_log(pond_catalog *cat, int64_t id, const char *step, pond_arena *arena, const char **out,
                 pond_error *err);
json_t *pond_run_info_to_json(const pond_run_info *run);
json_t *pond_step_attempt_to_json(const pond_step_attempt *attempt);

/* Marks `running` runs whose lease is gone or expired (at now_ms) as
 * `interrupted` (and their running attempts), and first ends the leases
 * held by processes of this host that no longer exist, whatever their
 * expiry. *count (may be NULL) gets how many runs. Called by schedulers and
 * by pond run and pond runs. */
int pond_runs_reconcile(pond_catalog *cat, int64_t now_ms, int *count, pond_error *err);

/* ---- leases ------------------------------------------------------------------ */

/* Takes the pipeline's lease for holder until now_ms + lease_ms, when it is
 * free, expired or already holder's. *taken false when another holder has
 * it. run_id is recorded with it (reconciliation uses it). */
int pond_lease_acquire(pond_catalog *cat, const char *pipeline, const char *holder, int64_t run_id, int64_t now_ms,
                       int64_t lease_ms, bool *taken, pond_error *err);
/* Extends a held lease; *kept false when it was lost (taken over). */
int pond_lease_renew(pond_catalog *cat, const char *pipeline, const char *holder, int64_t now_ms, int64_t lease_ms,
                     bool *kept, pond_error *err);
int pond_lease_release(pond_catalog *cat, const char *pipeline, const char *holder, pond_error *err);
/* A holder id unique to this process and call: "host:pid:random". */
void pond_lease_holder_id(char out[96]);

/* ---- running a pipeline -------------------------------------------------------- */

typedef enum {
	POND_RUN_EVENT_RUN_STARTED = 0,
	POND_RUN_EVENT_STEP_STARTED,   /* attempt */
	POND_RUN_EVENT_STEP_OUTPUT,    /* message: one line of the step's output */
	POND_RUN_EVENT_STEP_PROGRESS,  /* rows, bytes so far */
	POND_RUN_EVENT_STEP_RETRY,     /* delay_ms before the next attempt; message: error */
	POND_RUN_EVENT_STEP_FINISHED,  /* status, rows, bytes, duration_ms, message: error */
	POND_RUN_EVENT_RUN_FINISHED,   /* status, message: error */
} pond_run_event_kind;

typedef struct pond_run_event {
	pond_run_event_kind kind;
	int64_t run_id;
	const char *pipeline;
	const char *step;        /* NULL for run events */
	int attempt;
	const char *status;
	int64_t rows, bytes;     /* -1: not known */
	int64_t duration_ms;
	int64_t delay_ms;
	const char *message;     /* may be NULL */
} pond_run_event;

/* Progress callback; called from the run's step threads, one call at a time
 * per run (several runs: calls may overlap). Everything in the event is
 * borrowed for the call. */
typedef void (*pond_run_event_fn)(const pond_run_event *event, void *payload);

typedef struct pond_run_options {
	pond_trigger trigger;          /* manual by default */
	const char *parameters;        /* JSON object text of key -> string; NULL: {} */
	const char *from_step;         /* start here (name or kind); earlier steps skipped */
	pond_run_event_fn on_event;    /* optional */
	void *event_payload;
	const pond_clock *clock;       /* NULL: the system clock */
	/* Becomes non-zero to stop: 1 lets running steps have settings.grace_ms,
	 * then kills them; 2 or more kills them now. No further step starts;
	 * the run ends `interrupted`. */
	const volatile int *cancel;
	const char *holder;            /* lease holder id; NULL: a fresh one */
	bool wait_for_lease;           /* wait while another holder runs it (else fail) */
} pond_run_options;

#define POND_RUN_OPTIONS_INIT {POND_TRIGGER_MANUAL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false}

/* Runs a pipeline now in this thread: takes the lease (POND_ECONFLICT
 * "pipeline X is already running (run N)" when held and !wait_for_lease),
 * records the run and every attempt, renews the lease while running,
 * alerts on failure, releases the lease. Opens its own catalog connection
 * and lake from project. *out_run_id (may be NULL) gets the id as soon as
 * the run exists. Returns 0 when the run succeeded, POND_ERROR naming the
 * failed step, POND_ECANCELED when interrupted. */
int pond_pipeline_run(const pond_project *project, const pond_pipelines *pipelines, const char *pipeline,
                      const pond_run_options *opts, int64_t *out_run_id, pond_error *err);

/* Runs an already queued run (a row from pond_run_enqueue): claims it,
 * then as pond_pipeline_run. POND_ECONFLICT when another process claimed it
 * or the lease is held. */
int pond_pipeline_run_queued(const pond_project *project, const pond_pipelines *pipelines, int64_t run_id,
                             const pond_run_options *opts, pond_error *err);

/* ---- the scheduler ------------------------------------------------------------- */

typedef struct pond_scheduler pond_scheduler;

typedef struct pond_scheduler_options {
	const pond_clock *clock;       /* NULL: the system clock */
	int concurrency;               /* 0: pipelines->settings.concurrency */
	bool fire_schedules;           /* fire cron schedules (else only queued runs) */
	pond_run_event_fn on_event;    /* optional, from worker threads */
	void *event_payload;
} pond_scheduler_options;

#define POND_SCHEDULER_OPTIONS_INIT {NULL, 0, true, NULL, NULL}

/* A scheduler over a project's pipelines; both are borrowed and must
 * outlive it. Creates the history tables. Free with pond_scheduler_free
 * (which stops it first). */
int pond_scheduler_new(pond_scheduler **out, const pond_project *project, const pond_pipelines *pipelines,
                       const pond_scheduler_options *opts, pond_error *err);
/* One pass: reconciles dead runs, queues due fires (catch-up rules), and
 * starts queued runs on worker threads up to the concurrency limit. Does
 * not wait for them. *next_ms (may be NULL) gets when it wants the next pass. */
int pond_scheduler_tick(pond_scheduler *sched, int64_t *next_ms, pond_error *err);
/* Waits until no run started by this scheduler is still going. */
void pond_scheduler_wait_idle(pond_scheduler *sched);
/* The loop: tick, sleep until the next fire (or poll_ms), until stopped.
 * For a caller that gives the scheduler its own thread. */
int pond_scheduler_run(pond_scheduler *sched, pond_error *err);
/* Starts pond_scheduler_run on a new thread. */
int pond_scheduler_start(pond_scheduler *sched, pond_error *err);
/* Stops firing; running runs get grace_ms (negative: settings.grace_ms) to
 * finish, then are cancelled and end `interrupted`. Returns when all are
 * done and the loop thread (if started) has ended. Safe from any thread;
 * not from a signal handler (for that, see pond_scheduler_request_stop). */
void pond_scheduler_stop(pond_scheduler *sched, int64_t grace_ms);
/* Async-signal-safe: asks the loop to stop (pond_scheduler_run returns). */
void pond_scheduler_request_stop(pond_scheduler *sched);
/* Queues a run (manual or api) and wakes the loop; *out_id gets its id. */
int pond_scheduler_trigger(pond_scheduler *sched, const char *pipeline, pond_trigger trigger,
                           const char *parameters, int64_t *out_id, pond_error *err);
/* Asks a running run (started by this scheduler) to stop; POND_ENOTFOUND
 * when it is not running here. */
int pond_scheduler_cancel_run(pond_scheduler *sched, int64_t run_id, pond_error *err);
void pond_scheduler_free(pond_scheduler **sched);

#endif
