/*
 * `pond serve`: the JSON API, the Iceberg REST catalog and the pipeline
 * scheduler, until SIGTERM or SIGINT. The signals are blocked before any thread starts and taken by
 * sigwait in the main thread, so shutting down runs as ordinary code:
 * stop accepting, let requests and running steps finish, exit 0.
 */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pond/server.h"

static const char serve_help[] =
	"usage: pond serve [--listen HOST:PORT] [--token TOKEN] [--no-scheduler]\n"
	"\n"
	"Serves a web page of the project's runs, tables, lineage and a SQL editor\n"
	"with charts at http://HOST:PORT/ (docs/ui.md), its JSON API under /api\n"
	"(docs/api.md) and an Iceberg REST catalog\n"
	"of its tables under /iceberg (Spark, Trino, Flink, DuckDB and pyiceberg\n"
	"take uri=http://HOST:PORT/iceberg; docs/scale-out.md), and runs its\n"
	"pipeline schedules until stopped with Ctrl-C or SIGTERM; running steps\n"
	"then get a grace period to finish.\n"
	"\n"
	"It listens on 127.0.0.1 only, unless told otherwise. Any other address\n"
	"needs a token, and every request must then carry\n"
	"\"Authorization: Bearer TOKEN\". A token set on 127.0.0.1 is enforced too.\n"
	"REST catalog clients may get it with credential=ID:TOKEN (OAuth2); the web\n"
	"page asks for it once and keeps a session cookie.\n"
	"\n"
	"options:\n"
	"  --listen ADDR     address and port (default 127.0.0.1:8765; port 0 picks\n"
	"                    a free one); pond.yml: server: listen: ...\n"
	"  --token TOKEN     the bearer token (at least 16 characters); better: set\n"
	"                    POND_TOKEN, or name a variable in pond.yml with\n"
	"                    server: token_env: NAME (keeps it out of ps)\n"
	"  --no-scheduler    serve the API only; runs triggered through it are\n"
	"                    queued for a scheduler elsewhere (pond serve, pond run)\n"
	"  -h, --help        show this help\n"
	"\n"
	"exit status: 0 stopped by a signal, 1 could not start, 2 usage error\n";

static int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"token", required_argument, NULL, 't'},
		{"no-scheduler", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	pond_server_options opts = POND_SERVER_OPTIONS_INIT;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': opts.listen = optarg; break;
		case 't': opts.token = optarg; break;
		case 'n': opts.scheduler = false; break;
		case 'h': return cli_print_help(&cli_serve_command);
		case ':': return cli_usage_error("serve", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("serve", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument \"%s\"", argv[optind]);
	if (opts.token && !opts.token[0])
		return cli_usage_error("serve", "--token is empty");

	pond_error err = POND_ERROR_INIT;
	pond_project *project = NULL;
	int rc = cli_project_dir ? pond_project_load(&project, cli_project_dir, &err)
	                         : pond_project_find(&project, NULL, true, &err);
	if (rc == 0)
		rc = pond_server_options_from_project(&opts, project, &err);
	if (rc == 0 && !opts.token && getenv("POND_TOKEN") && getenv("POND_TOKEN")[0])
		opts.token = getenv("POND_TOKEN");
	pond_server *srv = NULL;
	if (rc == 0)
		rc = pond_server_new(&srv, project, &opts, &err);
	if (rc == POND_EUSAGE) {
		fprintf(stderr, "pond serve: %s\n", err.msg);
		pond_project_free(&project);
		return EXIT_USAGE;
	}

	/* Blocked here, before the server's threads exist, so they inherit it
	 * and only sigwait below sees the signals. */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	if (rc == 0)
		rc = pond_server_start(srv, &err);
	if (rc) {
		pond_server_free(&srv);
		pond_project_free(&project);
		return cli_fail(&err);
	}
	printf("pond serve: project %s on %s (scheduler %s%s)\n", project->name, pond_server_url(srv),
	       opts.scheduler ? "on" : "off", opts.token && opts.token[0] ? ", token required" : "");
	fflush(stdout);
	int sig = 0;
	sigwait(&stop_signals, &sig);
	fprintf(stderr, "pond serve: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
	pond_server_free(&srv);
	pond_project_free(&project);
	fprintf(stderr, "pond serve: stopped\n");
	return EXIT_OK;
}

const cli_command cli_serve_command = {
	"serve", "serve the JSON API and Iceberg REST catalog, run pipeline schedules",
	serve_help,
	cmd_serve,
};
