/*
 * Progress bar and Ctrl-C for long queries. The bar appears on stderr when
 * it is a terminal and a query has run for over a second. SIGINT cancels
 * the running statement through the engine instead of killing pond.
 */
#include "cli.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static int bar_drawn;
static volatile int sigint_seen;  /* set by SIGINT (or SIGTERM when asked) */
static pond_engine *sigint_engine;

void cli_progress(double percent, int64_t elapsed_ns, void *payload)
{
	(void)payload;
	static int64_t last_draw_ns;
	if (elapsed_ns < 1000000000LL || !isatty(STDERR_FILENO))
		return;
	/* Redraw at most ten times a second. */
	if (bar_drawn && elapsed_ns - last_draw_ns < 100000000LL && elapsed_ns > last_draw_ns)
		return;
	last_draw_ns = elapsed_ns;
	char bar[41];
	int filled = percent < 0 ? 0 : (int)(percent * 40 / 100);
	if (filled > 40)
		filled = 40;
	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '.', (size_t)(40 - filled));
	bar[40] = '\0';
	if (percent >= 0)
		fprintf(stderr, "\r[%s] %3.0f%%  %.1fs ", bar, percent, (double)elapsed_ns / 1e9);
	else
		fprintf(stderr, "\r[%s]       %.1fs ", bar, (double)elapsed_ns / 1e9);
	bar_drawn = 1;
}

void cli_progress_clear(void)
{
	if (bar_drawn) {
		fprintf(stderr, "\r\033[K");
		bar_drawn = 0;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	sigint_seen = 1;
	if (sigint_engine)
		pond_engine_interrupt(sigint_engine);
}

void cli_cancel_install(pond_engine *engine, bool sigterm_too)
{
	sigint_engine = engine;
	sigint_seen = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = engine ? on_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	if (sigterm_too || !engine)
		sigaction(SIGTERM, &sa, NULL);
}

void cli_sigint_install(pond_engine *engine)
{
	cli_cancel_install(engine, false);
}

const volatile int *cli_cancel_flag(void)
{
	return &sigint_seen;
}

int cli_sigint_take(void)
{
	int seen = sigint_seen;
	sigint_seen = 0;
	return seen;
}
