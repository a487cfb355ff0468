/* Paired whole-process timing: a reference command and kudoc's, run alternately as a user or a
 * CI job runs them (a fresh process each time, output to /dev/null), so both see the same load.
 * Prints the median CPU time (user + system, from wait4) of each, their wall times and peak
 * RSS, and the median of the per-pair CPU ratios (kudoc / reference): the figure ./dev bench
 * reports. Asserts nothing, except that every run exits 0 (a failing run is no figure).
 *   kudoc-pairbench RUNS LABEL -- REFERENCE ARGV... -- KUDOC ARGV... */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct {
	double cpu_ms, wall_ms;
	long rss_kb;
} sample;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

/* One run of argv; exits the benchmark when it fails, showing its error output. */
static sample run(char *const *argv)
{
	sample s = {0, 0, 0};
	char errpath[] = "/tmp/kudoc-pairbench-XXXXXX";
	int fd = mkstemp(errpath);
	if (fd < 0) {
		perror("pairbench: mkstemp");
		exit(1);
	}
	close(fd);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_TRUNC, 0600);
	pid_t pid;
	double t0 = now_ms();
	int st = -1;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0 || wait4(pid, &st, 0, &ru) != pid) {
		fprintf(stderr, "pairbench: cannot run %s\n", argv[0]);
		exit(1);
	}
	s.wall_ms = now_ms() - t0;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "pairbench: %s failed (status %d):\n", argv[0], st);
		FILE *f = fopen(errpath, "r");
		char line[1024];
		for (int i = 0; f && i < 20 && fgets(line, sizeof line, f); i++)
			fputs(line, stderr);
		if (f)
			fclose(f);
		unlink(errpath);
		exit(1);
	}
	unlink(errpath);
	s.cpu_ms = tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime);
	s.rss_kb = ru.ru_maxrss;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, long n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int sep1 = 0, sep2 = 0;
	for (int i = 3; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			if (!sep1)
				sep1 = i;
			else if (!sep2)
				sep2 = i;
		}
	char *end = NULL;
	long runs = argc > 1 ? strtol(argv[1], &end, 10) : 0;
	if (!end || *end)
		runs = 0;
	if (argc < 7 || runs < 1 || runs > 1000 || sep1 != 3 || !sep2 || sep2 == sep1 + 1 || sep2 == argc - 1) {
		fprintf(stderr, "usage: kudoc-pairbench RUNS LABEL -- REFERENCE ARGV... -- KUDOC ARGV...\n");
		return 2;
	}
	argv[sep2] = NULL;
	char *const *ref = argv + sep1 + 1, *const *kd = argv + sep2 + 1;
	double *rc = calloc((size_t)runs, sizeof(double)), *kc = calloc((size_t)runs, sizeof(double));
	double *rw = calloc((size_t)runs, sizeof(double)), *kw = calloc((size_t)runs, sizeof(double));
	double *ratio = calloc((size_t)runs, sizeof(double));
	long rrss = 0, krss = 0;
	if (!rc || !kc || !rw || !kw || !ratio)
		return 1;
	/* one unmeasured run each: page cache, the reference's build cache */
	run(ref);
	run(kd);
	for (long i = 0; i < runs; i++) {
		sample a, b;
		/* alternate which goes first, so neither always runs right after the other */
		if (i % 2 == 0) {
			a = run(ref);
			b = run(kd);
		} else {
			b = run(kd);
			a = run(ref);
		}
		rc[i] = a.cpu_ms;
		kc[i] = b.cpu_ms;
		rw[i] = a.wall_ms;
		kw[i] = b.wall_ms;
		ratio[i] = a.cpu_ms > 0 ? b.cpu_ms / a.cpu_ms : 0;
		if (a.rss_kb > rrss)
			rrss = a.rss_kb;
		if (b.rss_kb > krss)
			krss = b.rss_kb;
	}
	double r_lo, r_hi;
	double mr = median(ratio, runs);
	r_lo = ratio[0];
	r_hi = ratio[runs - 1];
	printf("%s\n", argv[2]);
	printf("  reference  CPU %8.1f ms   wall %8.1f ms   peak RSS %6.1f MB\n", median(rc, runs), median(rw, runs),
		(double)rrss / 1024.0);
	printf("  kudoc      CPU %8.1f ms   wall %8.1f ms   peak RSS %6.1f MB\n", median(kc, runs), median(kw, runs),
		(double)krss / 1024.0);
	printf("  kudoc / reference CPU: %.3f (median of %ld pairs; %.3f-%.3f)\n", mr, runs, r_lo, r_hi);
	free(rc);
	free(kc);
	free(rw);
	free(kw);
	free(ratio);
	return 0;
}
