/*
 * `pond s3`: the io layer's S3 client from the command line, to check that
 * storage settings and credentials reach a bucket (and for tests of the
 * real binary): config, ls, stat, get, put, rm, and cache (a fetch through
 * the local object cache). Settings resolve as the AWS CLI resolves them.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pond/io.h"

static const char s3_help[] =
	"usage: pond s3 [OPTIONS] config\n"
	"       pond s3 [OPTIONS] ls s3://BUCKET/PREFIX\n"
	"       pond s3 [OPTIONS] stat s3://BUCKET/KEY\n"
	"       pond s3 [OPTIONS] get s3://BUCKET/KEY [FILE]\n"
	"       pond s3 [OPTIONS] put FILE s3://BUCKET/KEY\n"
	"       pond s3 [OPTIONS] rm s3://BUCKET/KEY...\n"
	"       pond s3 [OPTIONS] cache --cache DIR s3://BUCKET/KEY\n"
	"\n"
	"Talks to S3 or an S3-compatible server (MinIO, Garage, R2, Ceph) the way\n"
	"pond's storage does, to check settings and credentials. config prints\n"
	"what they resolve to (never the secret); ls lists keys with sizes; get\n"
	"writes an object to FILE or standard output; put uploads a file\n"
	"(multipart when large); cache fetches an object into the local object\n"
	"cache and prints its local path and whether it was already there.\n"
	"\n"
	"Inside a project, the storage: settings of its pond.yml come first.\n"
	"Credentials and settings come from AWS_ACCESS_KEY_ID,\n"
	"AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION,\n"
	"AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_PROFILE and the shared files\n"
	"~/.aws/credentials and ~/.aws/config, as for the AWS CLI.\n"
	"\n"
	"options:\n"
	"  --endpoint URL       http(s)://host[:port] of an S3-compatible server\n"
	"  --region NAME        the region (default: as the AWS CLI finds it)\n"
	"  --profile NAME       a profile of the AWS files\n"
	"  --path-style         address buckets as http://host/BUCKET/KEY\n"
	"  --virtual-host       address buckets as http://BUCKET.host/KEY\n"
	"  --cache DIR          the object cache folder (cache)\n"
	"  --max-bytes N        the cache's cap in bytes (default 4 GiB)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status: 0 ok, 1 the request failed, 2 usage error\n";

typedef struct {
	pond_s3_settings settings;
	const char *cache_dir;
	int64_t max_bytes;
} s3_cli;

static int parse_options(s3_cli *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"endpoint", required_argument, NULL, 'e'}, {"region", required_argument, NULL, 'r'},
		{"profile", required_argument, NULL, 'p'},  {"path-style", no_argument, NULL, 'P'},
		{"virtual-host", no_argument, NULL, 'V'},   {"cache", required_argument, NULL, 'c'},
		{"max-bytes", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': o->settings.endpoint = optarg; break;
		case 'r': o->settings.region = optarg; break;
		case 'p': o->settings.profile = optarg; break;
		case 'P': o->settings.path_style = 1; break;
		case 'V': o->settings.path_style = 0; break;
		case 'c': o->cache_dir = optarg; break;
		case 'm':
			if (!pond_str_to_i64(optarg, &o->max_bytes) || o->max_bytes < 0)
				return cli_usage_error("s3", "--max-bytes wants a number of bytes, not \"%s\"", optarg);
			break;
		default: return cli_usage_error("s3", "unknown option");
		}
	}
	return -1;
}

static int print_object(const pond_s3_object *o, void *payload)
{
	(void)payload;
	printf("%lld\t%s\n", (long long)o->size, o->key);
	return 0;
}

static int cmd_get(pond_s3_client *c, const char *bucket, const char *key, const char *file, pond_error *err)
{
	int fd = file ? open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	if (file && fd < 0)
		return pond_error_set(err, POND_EIO, "could not create %s: %s", file, strerror(errno));
	int64_t size;
	int rc;
	if (fd >= 0) {
		rc = pond_s3_get_to_fd(c, bucket, key, fd, &size, err);
		close(fd);
		if (rc)
			unlink(file);
		return rc;
	}
	char *data;
	size_t len;
	rc = pond_s3_get(c, bucket, key, 0, -1, &data, &len, (size_t)1 << 30, err);
	if (rc == 0) {
		fwrite(data, 1, len, stdout);
		pond_free(data);
	}
	return rc;
}

static int cmd_put(pond_s3_client *c, const char *file, const char *bucket, const char *key, pond_error *err)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return pond_error_set(err, e == ENOENT ? POND_ENOTFOUND : POND_EIO, "could not open %s: %s", file, strerror(e));
	}
	int rc = pond_s3_put_fd(c, bucket, key, fd, (int64_t)st.st_size, NULL, err);
	close(fd);
	return rc;
}

static int cmd_cache(pond_s3_client *c, const s3_cli *o, const char *url, pond_error *err)
{
	if (!o->cache_dir)
		return pond_error_set(err, POND_EUSAGE, "pond s3 cache needs --cache DIR");
	pond_io_cache_options co = POND_IO_CACHE_OPTIONS_INIT;
	if (o->max_bytes >= 0)
		co.max_bytes = o->max_bytes;
	pond_io_cache *cache;
	int rc = pond_io_cache_open(&cache, o->cache_dir, &co, err);
	if (rc)
		return rc;
	pond_io_cache_entry *e;
	rc = pond_io_cache_get(cache, c, url, -1, &e, err);
	if (rc == 0) {
		printf("%s\t%s\t%lld\n", pond_io_cache_entry_hit(e) ? "hit" : "downloaded", pond_io_cache_entry_path(e),
		       (long long)pond_io_cache_entry_size(e));
		pond_io_cache_release(&e);
	}
	pond_io_cache_close(&cache);
	return rc;
}

static int run_s3_with(s3_cli *o, int argc, char **argv);

/* Runs one verb on an opened client; args are what follows the verb. */
static int run_verb(pond_s3_client *c, const s3_cli *o, const char *verb, int n, char **args, pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	char *bucket = NULL, *key = NULL;
	const char *url = strcmp(verb, "put") == 0 ? (n == 2 ? args[1] : NULL) : (n >= 1 ? args[0] : NULL);
	int rc = url ? pond_s3_url_split(url, &bucket, &key, arena, err) : POND_EUSAGE;
	if (rc == 0 && strcmp(verb, "ls") == 0 && n == 1)
		rc = pond_s3_list(c, bucket, key, print_object, NULL, err);
	else if (rc == 0 && strcmp(verb, "stat") == 0 && n == 1) {
		pond_s3_object_info info;
		if ((rc = pond_s3_head(c, bucket, key, &info, err)) == 0)
			printf("size\t%lld\netag\t%s\n", (long long)info.size, info.etag);
	} else if (rc == 0 && strcmp(verb, "get") == 0 && n <= 2)
		rc = cmd_get(c, bucket, key, n == 2 ? args[1] : NULL, err);
	else if (rc == 0 && strcmp(verb, "put") == 0)
		rc = cmd_put(c, args[0], bucket, key, err);
	else if (rc == 0 && strcmp(verb, "rm") == 0) {
		for (int i = 0; i < n && rc == 0; i++)
			if ((rc = pond_s3_url_split(args[i], &bucket, &key, arena, err)) == 0)
				rc = pond_s3_delete(c, bucket, key, err);
	} else if (rc == 0 && strcmp(verb, "cache") == 0 && n == 1)
		rc = cmd_cache(c, o, url, err);
	else if (rc == 0 || rc == POND_EUSAGE)
		rc = POND_EUSAGE;
	pond_arena_free(&arena);
	return rc;
}

static int run_s3(int argc, char **argv)
{
	s3_cli o = {POND_S3_SETTINGS_INIT, NULL, -1};
	/* In a project, its storage settings are the starting point (the
	 * options still win): pond s3 sees what the warehouse sees. */
	pond_project *project = NULL;
	pond_error ignored = POND_ERROR_INIT;
	if ((cli_project_dir ? pond_project_load(&project, cli_project_dir, &ignored)
	                     : pond_project_find(&project, NULL, true, &ignored)) == 0)
		o.settings = project->storage;
	int rc = run_s3_with(&o, argc, argv);
	pond_project_free(&project);
	return rc;
}

static int run_s3_with(s3_cli *po, int argc, char **argv)
{
	s3_cli o = *po;
	int rc = parse_options(&o, argc, argv);
	if (rc >= 0)
		return rc;
	if (cli_wants_help(argc, argv))
		return cli_print_help(&cli_s3_command);
	if (optind >= argc)
		return cli_usage_error("s3", "which action? config, ls, stat, get, put, rm or cache");
	const char *verb = argv[optind];
	pond_error err = POND_ERROR_INIT;
	pond_s3_config cfg;
	if (pond_s3_config_resolve(&cfg, &o.settings, NULL, NULL, &err) != 0) {
		pond_s3_config_dispose(&cfg);
		return cli_fail(&err);
	}
	if (strcmp(verb, "config") == 0) {
		printf("endpoint\t%s\nregion\t%s\naddressing\t%s\ncredentials\t%s\n",
		       cfg.endpoint ? cfg.endpoint : "(AWS)", cfg.region, cfg.path_style ? "path" : "virtual-hosted",
		       cfg.credentials_source);
		if (cfg.access_key_id)
			printf("access_key_id\t%s\n", cfg.access_key_id);
		pond_s3_config_dispose(&cfg);
		return EXIT_OK;
	}
	pond_s3_client *c;
	rc = pond_s3_client_new(&c, &cfg, NULL, &err);
	pond_s3_config_dispose(&cfg);
	if (rc)
		return cli_fail(&err);
	rc = run_verb(c, &o, verb, argc - optind - 1, argv + optind + 1, &err);
	pond_s3_client_free(&c);
	if (rc == POND_EUSAGE)
		return cli_usage_error("s3", "%s", err.msg[0] ? err.msg : "wrong arguments for this action");
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_s3_command = {"s3", "S3 objects as pond's storage sees them (config, ls, get, put)", s3_help,
                                    run_s3};
