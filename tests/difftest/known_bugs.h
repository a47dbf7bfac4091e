/*
 * The one list of generator switches that the default run (and so
 * `make test`) turns off, because each still finds a bug that is open.
 * Every entry names the minimal repro the tester printed for it, saved in
 * tests/difftest/found/. When a fix merges, delete its entry: the tester
 * then covers that feature again in CI. `difftest --all` ignores the list.
 */
#ifndef POND_DIFFTEST_KNOWN_BUGS_H
#define POND_DIFFTEST_KNOWN_BUGS_H

#include "difftest.h"

static const struct {
	dt_feature feature;
	const char *repro;
} dt_known_bugs[] = {
	/* None open: every switch runs in CI. Add {DT_F_..., "found/NNN-....sql"} here. */
	{DT_NFEATURES, NULL}, /* the end (C has no empty initializer) */
};

#endif
