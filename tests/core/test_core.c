/* polish — unit tests of the core: statuses, JSON, arguments, recipes, limits, safe output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/internal.h"
#include "core/args.h"
#include "core/pipeline.h"

static void test_status_table(void **state)
{
    (void)state;
    assert_string_equal(pol_status_name(POL_ERR_CORRUPT), "ERR_CORRUPT");
    assert_string_equal(pol_status_str(POL_OK), "success");
    assert_int_equal(POL_ERR_LIMIT, 6); /* numbers are stable */
    assert_string_equal(pol_status_str((pol_status)999), "unknown status");
}

static void test_json_dump(void **state)
{
    (void)state;
    pol__jv *o = pol__jv_obj();
    pol__jv_set(o, "a", pol__jv_int(3));
    pol__jv_set(o, "s", pol__jv_str("q\"\n\x01"));
    pol__jv_set(o, "n", pol__jv_num(0.0 / 0.0));
    pol__jv_push(pol__jv_arr_at(o, "l"), pol__jv_bool(1));
    pol__jv_set(o, "a", pol__jv_num(1.5)); /* replaces in place */
    char *s = pol__jv_dump(o, 0);
    assert_string_equal(s, "{\"a\":1.5,\"s\":\"q\\\"\\n\\u0001\",\"n\":null,\"l\":[true]}");
    free(s);
    pol__jv_free(o);
}

static void test_registry_and_args(void **state)
{
    (void)state;
    assert_true(pol_domain_count() >= 2);
    const pol_op_desc *op = pol_op_find_full("image.resize");
    assert_non_null(op);
    assert_ptr_equal(op, pol_op_find("image", "resize"));
    assert_null(pol_op_find_full("image.nope"));
    assert_null(pol_op_find_full("noperiod"));
    /* Every declared parameter is well formed: defaults pass their own checks. */
    for (size_t i = 0; i < pol_op_count(NULL); i++) {
        const pol_op_desc *o = pol_op_at(NULL, i);
        assert_non_null(o->run);
        assert_non_null(o->summary);
        for (size_t k = 0; k < o->n_params; k++) {
            const pol_param_desc *p = &o->params[k];
            assert_non_null(p->help);
            if (p->type == POL_PARAM_ENUM) assert_non_null(p->choices);
            if (p->def) {
                pol_err e;
                if (pol_param_check(p, p->def, &e) != POL_OK)
                    fail_msg("%s.%s --%s default: %s", o->domain, o->name, p->name, e.msg);
            }
        }
    }
    const pol_param_desc *w = pol_op_param(op, "width");
    assert_non_null(w);
    pol_err e;
    assert_int_equal(pol_param_check(w, "abc", &e), POL_ERR_ARG);
    assert_non_null(strstr(e.msg, "not a number"));
    assert_int_equal(pol_param_check(w, "0", &e), POL_ERR_ARG);
    assert_non_null(strstr(e.msg, "minimum"));
    assert_int_equal(pol_param_check(w, "1.5", &e), POL_ERR_ARG);
    assert_int_equal(pol_param_check(w, "1080", &e), POL_OK);

    pol_args *a = pol__args_new(op);
    assert_int_equal(pol__args_set(a, "widht", "10", &e), POL_ERR_ARG);
    assert_non_null(strstr(e.msg, "did you mean 'width'"));
    assert_int_equal(pol__args_set(a, "width", "1080", &e), POL_OK);
    assert_true(pol__arg_set(a, "width"));
    assert_int_equal(pol__arg_int(a, "width"), 1080);
    pol_args *b = pol__args_clone(a);
    assert_int_equal(pol__arg_int(b, "width"), 1080);
    pol__args_free(a);
    pol__args_free(b);
}

static pol_status parse(const char *yaml, pol_pipeline **p, pol_err *e)
{
    pol_err_clear(e);
    return pol_pipeline_parse_recipe(yaml, strlen(yaml), "r.yml", p, e);
}

static void test_recipe_valid(void **state)
{
    (void)state;
    pol_pipeline *p;
    pol_err e;
    const char *y = "domain: image\n"
                    "limits: {pixels: 1000000}\n"
                    "steps:\n"
                    "  - white-balance\n"
                    "  - op: resize\n"
                    "    width: 1080\n"
                    "  - sharpen: {}\n"
                    "deliver:\n"
                    "  - web\n"
                    "  - name: square\n"
                    "    preset: instagram-square\n"
                    "    quality: 80\n";
    assert_int_equal(parse(y, &p, &e), POL_OK);
    assert_int_equal(p->n_steps, 3);
    assert_string_equal(p->steps[1].op->name, "resize");
    assert_int_equal(pol__arg_int(p->steps[1].args, "width"), 1080);
    assert_int_equal(p->n_targets, 2);
    assert_string_equal(p->targets[1].name, "square");
    assert_int_equal(pol__arg_int(p->targets[1].args, "quality"), 80);
    pol_limits l;
    pol_limits_default(&l);
    pol__pipeline_apply_limits(p, &l);
    assert_int_equal(l.max_pixels, 1000000);
    assert_int_equal(l.max_rows, 50000000); /* untouched */
    char *d = pol_pipeline_describe(p);
    assert_non_null(strstr(d, "image.resize --width 1080"));
    free(d);
    pol_pipeline_free(p);
}

static void expect_error(const char *yaml, const char *needle)
{
    pol_pipeline *p = (pol_pipeline *)0x1;
    pol_err e;
    assert_int_equal(parse(yaml, &p, &e), POL_ERR_RECIPE);
    assert_null(p);
    if (!strstr(e.msg, needle)) fail_msg("expected '%s' in: %s", needle, e.msg);
}

static void test_recipe_errors(void **state)
{
    (void)state;
    expect_error("domain: image\nsteps:\n  - op: resize\n    widht: 10\n",
                 "r.yml:4: step 1 (image.resize): image.resize has no parameter 'widht' (did "
                 "you mean 'width'?)");
    expect_error("domain: image\nsteps:\n  - bogus\n", "r.yml:3: step 1: unknown operation");
    expect_error("domain: nope\nsteps: [orient]\n", "r.yml:1: unknown domain 'nope'");
    expect_error("steps: [orient]\n", "'domain' is required");
    expect_error("domain: image\nsteps:\n  - op: resize\n    width: -3\n", "r.yml:4:");
    expect_error("domain: image\nsteps: [orient]\nextra: 1\n", "r.yml:3: unknown key 'extra'");
    expect_error("domain: image\nsteps: &a [orient]\nx: *a\n", "aliases");
    expect_error("domain: image\nsteps: [orient\n", "YAML syntax error");
    expect_error("", "empty");
    expect_error("domain: image\n", "no steps");
    /* Depth bomb */
    char deep[400] = "domain: image\nsteps: ";
    for (int i = 0; i < 40; i++) strcat(deep, "[");
    expect_error(deep, "nesting deeper");
    expect_error("domain: image\ndeliver:\n  - name: a/b\n", "not a plain folder name");
}

static void test_limits(void **state)
{
    (void)state;
    pol_limits l;
    pol_err e;
    pol_limits_default(&l);
    assert_int_equal(l.max_pixels, 178956970ull);
    assert_int_equal(pol_limits_set(&l, "bytes=10M", &e), POL_OK);
    assert_int_equal(l.max_bytes, 10ull << 20);
    assert_int_equal(pol_limits_set(&l, "pixels=1e8", &e), POL_OK);
    assert_int_equal(l.max_pixels, 100000000ull);
    assert_int_equal(pol_limits_set(&l, "rows=abc", &e), POL_ERR_ARG);
    assert_int_equal(pol_limits_set(&l, "nothing=1", &e), POL_ERR_ARG);
    assert_int_equal(pol_limits_set(&l, "pixels", &e), POL_ERR_ARG);
}

static void test_safe_output(void **state)
{
    (void)state;
    char dir[] = "/tmp/polish-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = pol__asprintf("%s/out.txt", dir);
    pol_options o;
    pol_options_default(&o);
    pol_err e;
    pol__jv *item = pol__jv_obj();
    pol_run run = {.err = &e, .opt = &o, .input = "in.txt", .item = item};
    assert_int_equal(pol__write_file(&run, path, "hello", 5), POL_OK);
    /* The output is recorded and no temporary is left. */
    assert_int_equal(pol__jv_get(item, "outputs")->n, 1);
    assert_int_equal(pol__write_file(&run, path, "again", 5), POL_ERR_EXISTS);
    assert_non_null(strstr(e.msg, "--overwrite"));
    /* An aborted output leaves nothing behind. */
    pol__outfile of;
    char *other = pol__asprintf("%s/aborted.txt", dir);
    assert_int_equal(pol__out_open(&run, other, &of), POL_OK);
    fputs("partial", of.fp);
    pol__out_abort(&of);
    assert_int_not_equal(access(other, F_OK), 0);
    o.overwrite = 1;
    assert_int_equal(pol__write_file(&run, path, "again", 5), POL_OK);
    unsigned char *data;
    size_t len;
    assert_int_equal(pol__read_file(&run, path, 0, &data, &len), POL_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "again", 5);
    free(data);
    assert_int_equal(pol__read_file(&run, path, 3, &data, &len), POL_ERR_LIMIT);
    /* Only out.txt is in the folder. */
    char *cmd = pol__asprintf("test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    /* An unwritable folder gives a clear error naming the output. */
    char *bad = pol__asprintf("%s/missing/sub/out.txt", dir);
    assert_int_equal(pol__write_file(&run, bad, "x", 1), POL_ERR_IO);
    assert_non_null(strstr(e.msg, "missing/sub/out.txt"));
    assert_non_null(strstr(e.msg, "in.txt: "));
    free(bad);
    unlink(path);
    rmdir(dir);
    free(path);
    free(other);
    pol__jv_free(item);
}

typedef struct sum_ctx {
    long *v;
} sum_ctx;

static void fill(void *user, size_t b, size_t e)
{
    sum_ctx *c = user;
    for (size_t i = b; i < e; i++) c->v[i] += (long)i;
}

static void test_parallel_for(void **state)
{
    (void)state;
    long v[1000] = {0};
    sum_ctx c = {v};
    pol_run run = {.threads = 4};
    pol__parallel_for(&run, 1000, 10, fill, &c);
    for (long i = 0; i < 1000; i++) assert_int_equal(v[i], i); /* each index exactly once */
    pol__parallel_for(&run, 0, 1, fill, &c);
    pol__parallel_for(NULL, 3, 1, fill, &c);
    assert_int_equal(v[2], 4);
}

static void test_grow(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    assert_int_equal(POL_GROW(v, cap, 1, 8), 0); /* from empty: `first` */
    assert_true(v != NULL);
    assert_int_equal(cap, 8);
    for (int i = 0; i < 8; i++) v[i] = i;
    assert_int_equal(POL_GROW(v, cap, 8, 8), 0); /* already room: nothing moves */
    assert_int_equal(cap, 8);
    assert_int_equal(POL_GROW(v, cap, 9, 8), 0); /* doubles */
    assert_int_equal(cap, 16);
    assert_int_equal(POL_GROW(v, cap, 100, 8), 0); /* doubles until it holds the need */
    assert_int_equal(cap, 128);
    for (int i = 0; i < 8; i++) assert_int_equal(v[i], i); /* the contents kept */
    int *before = v;
    assert_int_equal(POL_GROW(v, cap, SIZE_MAX / 2, 8), -1); /* the size would overflow */
    assert_true(v == before);
    assert_int_equal(cap, 128); /* left as it was */
    free(v);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* pol__select_k against a sort, on inputs where a selection goes wrong easily: sorted, reversed,
 * all equal, few distinct values (runs of equal pivots), and random; every k of small arrays, and
 * the partition it leaves (nothing before k larger, nothing after smaller). pol__median on odd
 * and even counts. */
static void test_select_k(void **state)
{
    (void)state;
    enum { N = 97 };
    double v[N], s[N];
    unsigned seed = 12345;
    for (int shape = 0; shape < 5; shape++)
        for (int n = 1; n <= N; n += (n < 12 ? 1 : 17))
            for (int k = 0; k < n; k++) {
                for (int i = 0; i < n; i++) {
                    seed = seed * 1103515245u + 12345u;
                    double r = (double)(seed >> 8 & 0xffff);
                    v[i] = shape == 0 ? i : shape == 1 ? n - i : shape == 2 ? 7 : shape == 3 ? (double)((seed >> 9) % 3) : r;
                }
                memcpy(s, v, sizeof(double) * (size_t)n);
                qsort(s, (size_t)n, sizeof *s, cmp_dbl);
                double got = pol__select_k(v, (size_t)n, (size_t)k);
                assert_true(got == s[k]);
                assert_true(v[k] == s[k]);
                for (int i = 0; i < k; i++) assert_true(v[i] <= got);
                for (int i = k + 1; i < n; i++) assert_true(v[i] >= got);
                qsort(v, (size_t)n, sizeof *v, cmp_dbl); /* a permutation of the input */
                assert_memory_equal(v, s, sizeof(double) * (size_t)n);
            }
    double odd[] = {5, 1, 4, 2, 3}, even[] = {8, 1, 7, 2};
    assert_true(pol__median(odd, 5) == 3);
    assert_true(pol__median(even, 4) == 4.5);
    assert_true(isnan(pol__median(odd, 0)));
}

static void test_run_explain(void **state)
{
    (void)state;
    pol_err e;
    pol__jv *item = pol__jv_obj();
    pol__jv *step = pol__jv_obj();
    pol_run run = {.err = &e, .input = "x.jpg", .item = item, .step = step};
    pol__measure(&run, "cast_b", 6.2);
    pol__decide(&run, "gains R %.2f B %.2f", 0.94, 1.08);
    pol__confidence(&run, 0.8);
    pol__decline(&run, "because %d", 3);
    assert_true(run.declined);
    char *s = pol__jv_dump(step, 0);
    assert_string_equal(s, "{\"measured\":{\"cast_b\":6.2},\"decisions\":[\"gains R 0.94 B "
                           "1.08\"],\"confidence\":0.8,\"declined\":\"because 3\"}");
    free(s);
    assert_int_equal(pol__fail(&run, POL_ERR_CORRUPT, "bad %s", "marker"), POL_ERR_CORRUPT);
    assert_string_equal(e.msg, "x.jpg: bad marker");
    run.step = NULL;
    pol__measure_int(&run, "width", 640);
    assert_int_equal(pol__jv_get(pol__jv_get(item, "inspect"), "width")->i, 640);
    pol__jv_free(step);
    pol__jv_free(item);
}

/* Declarations print as written; conditions between parameters; recipes only tighten limits. */
static void test_typed_declarations(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(pol_num_str(0.2, buf, sizeof buf), "0.2");
    assert_string_equal(pol_num_str(0.004, buf, sizeof buf), "0.004");
    assert_string_equal(pol_num_str(178956970, buf, sizeof buf), "178956970");
    assert_string_equal(pol_num_str(0.1 + 0.2, buf, sizeof buf), "0.30000000000000004");

    /* image.tone --gamma only with --mode manual */
    pol_pipeline *p;
    pol_err err;
    size_t step;
    assert_int_equal(pol_pipeline_new("image", &p, &err), POL_OK);
    assert_int_equal(pol_pipeline_add_step(p, "tone", &step, &err), POL_OK);
    assert_int_equal(pol_pipeline_set_arg(p, step, "gamma", "1.2", &err), POL_OK);
    assert_int_equal(pol_pipeline_check(p, &err), POL_ERR_ARG);
    assert_non_null(strstr(err.msg, "mode is manual"));
    assert_int_equal(pol_pipeline_set_arg(p, step, "mode", "manual", &err), POL_OK);
    assert_int_equal(pol_pipeline_check(p, &err), POL_OK);
    pol_pipeline_free(p);
    /* in a recipe the error names the line */
    const char *y = "domain: image\nsteps:\n  - tone: {gamma: 1.3}\n";
    assert_int_equal(pol_pipeline_parse_recipe(y, strlen(y), "r.yml", &p, &err), POL_ERR_RECIPE);
    assert_non_null(strstr(err.msg, "r.yml:3"));

    /* typed values are parsed once: the accessor reads them without parsing */
    const pol_op_desc *op = pol_op_find("image", "tone");
    pol_args *a = pol__args_new(op);
    assert_int_equal(pol__args_set(a, "clip", "1.25", &err), POL_OK);
    assert_true(pol__arg_num(a, "clip") == 1.25);
    assert_int_equal(pol__arg_choice(a, "mode"), 0);
    pol__args_free(a);

    /* a recipe's limits tighten the command line's, never loosen them */
    pol_limits cli;
    pol_limits_default(&cli);
    assert_int_equal(pol_limits_set(&cli, "pixels=1000", &err), POL_OK);
    const char *loose = "domain: image\nlimits: {pixels: 1e12, rows: 0}\nsteps: [tone]\n";
    assert_int_equal(pol_pipeline_parse_recipe(loose, strlen(loose), "l.yml", &p, &err), POL_OK);
    pol_limits l = cli;
    pol_limits_tighten(&l, pol_pipeline_limits(p));
    assert_true(l.max_pixels == 1000);
    assert_true(l.max_rows == cli.max_rows); /* 0 ("no limit") does not loosen */
    pol_pipeline_free(p);
    const char *tight = "domain: image\nlimits: {PIXELS: 500}\nsteps: [tone]\n";
    assert_int_equal(pol_pipeline_parse_recipe(tight, strlen(tight), "t.yml", &p, &err), POL_OK);
    l = cli;
    pol_limits_tighten(&l, pol_pipeline_limits(p));
    assert_true(l.max_pixels == 500); /* keys compare the same in recipes */
    pol_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_table),      cmocka_unit_test(test_json_dump),
        cmocka_unit_test(test_registry_and_args), cmocka_unit_test(test_recipe_valid),
        cmocka_unit_test(test_recipe_errors),     cmocka_unit_test(test_limits),
        cmocka_unit_test(test_safe_output),       cmocka_unit_test(test_parallel_for),
        cmocka_unit_test(test_run_explain),       cmocka_unit_test(test_typed_declarations),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_select_k),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
