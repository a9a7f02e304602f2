/* polish — the workspace's catalog through the public API: versions (approve, fork, undo, reject),
 * a failed render refused approval, the cache remaking a render identically, and several handles
 * in threads at once (one render per key, the others served from the cache). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "polish/polish.h"
#include "polish/workspace.h"

static char root[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm_rf(const char *path)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", path, path);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/polish-ws-XXXXXX");
    assert_non_null(mkdtemp(root));
    char p[300];
    snprintf(p, sizeof p, "%s/leads.csv", root);
    write_file(p, "name,email,phone\nAda Lovelace,ada@example.com,+44 20 7946 0001\n"
                  "Alan Turing,alan@example.com,+44 20 7946 0002\n");
    snprintf(p, sizeof p, "%s/other.csv", root);
    write_file(p, "name,email\nGrace Hopper,grace@example.com\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_rf(root);
    return 0;
}

/* A fresh workspace in root/NAME. */
static pol_workspace *fresh(const char *name)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    pol_err err;
    assert_int_equal(pol_workspace_init(dir, &err), POL_OK);
    assert_int_equal(pol_workspace_init(dir, &err), POL_ERR_EXISTS);
    pol_workspace *w = NULL;
    assert_int_equal(pol_workspace_open(dir, &w, &err), POL_OK);
    return w;
}

static json_t *item(pol_workspace *w, int64_t id)
{
    pol_err err;
    char *j = pol_workspace_item_json(w, id, &err);
    assert_non_null(j);
    json_t *o = json_loads(j, 0, NULL);
    free(j);
    assert_non_null(o);
    return o;
}

static void expect_state(pol_workspace *w, int64_t id, const char *state, int64_t versions)
{
    json_t *o = item(w, id);
    if (strcmp(json_string_value(json_object_get(o, "state")), state) != 0)
        fail_msg("item %lld: state %s, expected %s", (long long)id,
                 json_string_value(json_object_get(o, "state")), state);
    assert_int_equal(json_array_size(json_object_get(o, "versions")), versions);
    json_decref(o);
}

/* The current version's field `key` (an integer). */
static int64_t current_field(pol_workspace *w, int64_t id, const char *key)
{
    json_t *o = item(w, id);
    int64_t cur = json_integer_value(json_object_get(o, "current")), v = -1;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, "versions"), i, x)
    {
        if (json_integer_value(json_object_get(x, "id")) == cur)
            v = json_is_null(json_object_get(x, key)) ? 0 : json_integer_value(json_object_get(x, key));
    }
    json_decref(o);
    return v;
}

static void test_versions(void **state)
{
    (void)state;
    pol_workspace *w = fresh("versions");
    pol_err err;
    char p[300];
    snprintf(p, sizeof p, "%s/leads.csv", root);
    int64_t id = 0, again = 0;
    assert_int_equal(pol_workspace_add(w, p, NULL, &id, &err), POL_OK);
    assert_int_equal(pol_workspace_add(w, p, "renamed.csv", &again, &err), POL_OK);
    assert_int_equal(again, id); /* the same content is the same item */
    expect_state(w, id, "draft", 1);
    json_t *o = item(w, id);
    assert_string_equal(json_string_value(json_object_get(o, "domain")), "records");
    assert_string_equal(json_string_value(json_object_get(o, "name")), "leads.csv");
    json_decref(o);

    /* approved without a render; fixing it forks a draft, the approved version stays */
    assert_int_equal(pol_workspace_approve(w, id, &err), POL_OK);
    expect_state(w, id, "approved", 1);
    assert_int_equal(pol_workspace_fix(w, id, NULL, NULL, NULL, NULL, &err), POL_OK);
    expect_state(w, id, "done", 2);
    assert_int_equal(current_field(w, id, "seq"), 2);
    o = item(w, id);
    json_t *v1 = json_array_get(json_object_get(o, "versions"), 0);
    assert_int_equal(current_field(w, id, "parent"), json_integer_value(json_object_get(v1, "id")));
    assert_string_equal(json_string_value(json_object_get(v1, "decision")), "approved");
    assert_true(json_is_null(json_object_get(v1, "recipe")));
    assert_true(json_is_object(json_object_get(o, "report")));
    json_decref(o);

    /* a recipe on a draft makes a new draft too (undoable); a bad recipe changes nothing */
    assert_int_equal(pol_workspace_fix(w, id, "domain: records\nsteps: [nosuchop]\n", NULL, NULL,
                                       NULL, &err),
                     POL_ERR_RECIPE);
    assert_int_equal(pol_workspace_fix(w, id, "domain: image\nsteps: [orient]\n", NULL, NULL,
                                       NULL, &err),
                     POL_ERR_RECIPE); /* another domain's recipe */
    expect_state(w, id, "done", 2);
    assert_int_equal(pol_workspace_fix(w, id, "domain: records\nsteps: [standardise]\n", NULL,
                                       NULL, NULL, &err),
                     POL_OK);
    expect_state(w, id, "done", 3);
    assert_int_equal(pol_workspace_approve(w, id, &err), POL_OK);
    expect_state(w, id, "approved", 3);

    /* undo walks back: the approval, the edit, the fork, the first approval; then nothing */
    assert_int_equal(pol_workspace_undo(w, id, &err), POL_OK);
    expect_state(w, id, "done", 3);
    assert_int_equal(current_field(w, id, "seq"), 3);
    assert_int_equal(pol_workspace_undo(w, id, &err), POL_OK);
    assert_int_equal(current_field(w, id, "seq"), 2);
    assert_int_equal(pol_workspace_undo(w, id, &err), POL_OK);
    assert_int_equal(current_field(w, id, "seq"), 1);
    expect_state(w, id, "approved", 3);
    assert_int_equal(pol_workspace_undo(w, id, &err), POL_OK);
    expect_state(w, id, "draft", 3);
    assert_int_equal(pol_workspace_undo(w, id, &err), POL_ERR_NOT_FOUND);

    /* reject, and fixing a rejected version forks */
    assert_int_equal(pol_workspace_reject(w, id, &err), POL_OK);
    expect_state(w, id, "rejected", 3);
    assert_int_equal(pol_workspace_fix(w, id, NULL, NULL, NULL, NULL, &err), POL_OK);
    expect_state(w, id, "done", 4);

    /* a render that fails: the version says so, and approving it is refused */
    assert_int_not_equal(pol_workspace_fix(w, id,
                                           "domain: records\nsteps:\n  - op: against\n"
                                           "    inputs: {master: /nonexistent/master.csv}\n",
                                           NULL, NULL, NULL, &err),
                         POL_OK);
    assert_non_null(strstr(err.msg, "master.csv"));
    expect_state(w, id, "failed", 5);
    assert_int_equal(pol_workspace_approve(w, id, &err), POL_ERR_ARG);
    assert_non_null(strstr(err.msg, "failed to render"));
    char *out = NULL;
    assert_int_equal(pol_workspace_output_path(w, id, NULL, &out, &err), POL_ERR_NOT_FOUND);
    assert_null(out);

    /* queued for a worker */
    assert_int_equal(pol_workspace_queue(w, id, NULL, &err), POL_OK);
    expect_state(w, id, "queued", 6);
    int64_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(pol_workspace_queued(w, &ids, &n, &err), POL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], id);
    free(ids);
    assert_int_equal(pol_workspace_render(w, id, NULL, NULL, NULL, &err), POL_OK);
    expect_state(w, id, "done", 6);
    assert_int_equal(pol_workspace_output_path(w, id, NULL, &out, &err), POL_OK);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_false(st.st_mode & 0222); /* a render's files are read-only */
    free(out);

    assert_int_equal(pol_workspace_approve(w, 999, &err), POL_ERR_NOT_FOUND);
    pol_workspace_close(w);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void test_remade(void **state)
{
    (void)state;
    pol_workspace *w = fresh("remade");
    pol_err err;
    char p[300];
    snprintf(p, sizeof p, "%s/leads.csv", root);
    int64_t id;
    assert_int_equal(pol_workspace_add(w, p, NULL, &id, &err), POL_OK);
    const char *recipe = "domain: records\nsteps: [standardise]\ndeliver:\n  - name: crm\n"
                         "    preset: hubspot\n  - name: sheet\n    format: xlsx\n";
    assert_int_equal(pol_workspace_fix(w, id, recipe, NULL, NULL, NULL, &err), POL_OK);
    char *a = NULL, *b = NULL, *sheet = NULL;
    assert_int_equal(pol_workspace_output_path(w, id, NULL, &a, &err), POL_OK);
    assert_non_null(strstr(a, "/out/crm/leads.csv")); /* no target given: the first target's */
    assert_int_equal(pol_workspace_output_path(w, id, "sheet", &sheet, &err), POL_OK);
    assert_non_null(strstr(sheet, "/out/sheet/leads.xlsx"));
    assert_int_equal(pol_workspace_output_path(w, id, "nosuch", &b, &err), POL_ERR_NOT_FOUND);
    size_t na, nb, ns1, ns2;
    char *before = slurp(a, &na), *sheet_before = slurp(sheet, &ns1);
    /* empty the cache: renders/<key>/ goes; the same key remakes the same bytes */
    char dir[600];
    snprintf(dir, sizeof dir, "%s", a);
    *strstr(dir, "/out/") = '\0';
    rm_rf(dir);
    sleep(1); /* a clock in the output would now show */
    assert_int_equal(pol_workspace_fix(w, id, recipe, NULL, NULL, NULL, &err), POL_OK);
    assert_int_equal(pol_workspace_output_path(w, id, NULL, &b, &err), POL_OK);
    assert_string_equal(a, b);
    char *after = slurp(b, &nb), *sheet_after = slurp(sheet, &ns2);
    assert_int_equal(na, nb);
    assert_memory_equal(before, after, na);
    assert_int_equal(ns1, ns2);
    assert_memory_equal(sheet_before, sheet_after, ns1);
    char *h = pol_workspace_history_json(w, id, &err);
    assert_non_null(h);
    assert_non_null(strstr(h, "identical bytes"));
    free(h);
    free(before);
    free(after);
    free(sheet_before);
    free(sheet_after);
    free(a);
    free(b);
    free(sheet);
    pol_workspace_close(w);
}

typedef struct job {
    const char *dir;
    int64_t ids[2];
    pol_status st;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    pol_workspace *w = NULL;
    pol_err err;
    j->st = pol_workspace_open(j->dir, &w, &err);
    const char *names[2] = {"leads.csv", "other.csv"};
    for (int i = 0; i < 2 && !j->st; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s/%s", root, names[i]);
        j->st = pol_workspace_add(w, p, NULL, &j->ids[i], &err);
        if (!j->st) j->st = pol_workspace_fix(w, j->ids[i], NULL, NULL, NULL, NULL, &err);
        if (!j->st) {
            char *s = pol_workspace_item_json(w, j->ids[i], &err);
            if (!s) j->st = err.code;
            free(s);
        }
    }
    if (j->st) fprintf(stderr, "worker: %s\n", err.msg);
    pol_workspace_close(w);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pol_workspace *w = fresh("threads");
    char dir[300];
    snprintf(dir, sizeof dir, "%s/threads", root);
    enum { N = 4 };
    job jobs[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (job){.dir = dir};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(jobs[i].st, POL_OK);
        assert_int_equal(jobs[i].ids[0], jobs[0].ids[0]);
        assert_int_equal(jobs[i].ids[1], jobs[0].ids[1]);
    }
    pol_err err;
    char *list = pol_workspace_list_json(w, &err);
    json_t *o = json_loads(list, 0, NULL);
    free(list);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
    json_decref(o);
    /* each item rendered once; the other threads found the render in the cache */
    for (int k = 0; k < 2; k++) {
        char *h = pol_workspace_history_json(w, jobs[0].ids[k], &err);
        json_t *hj = json_loads(h, 0, NULL);
        free(h);
        size_t i, made = 0, cached = 0;
        json_t *x;
        json_array_foreach(json_object_get(hj, "history"), i, x)
        {
            const char *d = json_string_value(json_object_get(x, "detail"));
            if (strcmp(json_string_value(json_object_get(x, "action")), "render")) continue;
            made += d && !strncmp(d, "made ", 5);
            cached += d && !strncmp(d, "from the cache", 14);
        }
        json_decref(hj);
        assert_int_equal(made, 1);
        assert_int_equal(cached, N - 1);
        expect_state(w, jobs[0].ids[k], "done", 1);
    }
    pol_workspace_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_remade),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
