/* convert: AiGateway, ToolGateway and ToolRoute manifests between v1alpha1
 * and v1beta1, offline, for GitOps repositories that migrate.
 *
 *   litellm-gateway-operator convert -f FILE|DIR|- --to v1beta1|v1alpha1 [--in-place]
 *
 * Every document of the stream that is not one of our three kinds is
 * written back byte for byte, and so is everything between documents
 * (separators, comments); a converted document is emitted anew (sorted
 * keys, quoted strings). Nothing is written when any document cannot be
 * converted: the problems go to stderr with their field paths and the exit
 * code is 1. Exit 2: usage error or unreadable input. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "commands.h"
#include "convert.h"
#include "doc.h"
#include "readfile.h"
#include "strbuf.h"
#include "yamlout.h"

#define MAX_FILES 4096
#define MAX_DEPTH 16

/* One document of the stream: where it is, and where its root node is. */
struct span {
    size_t doc_start, doc_end;     /* byte offsets of the whole document */
    size_t node_start, node_end;   /* its root node */
    bool has_node;
};

struct spans {
    struct span *v;
    size_t n;
};

/* libyaml marks count characters; the input is UTF-8. */
struct offsets {
    const char *buf;
    size_t len;
    size_t chars, bytes;           /* the last position mapped */
};

static size_t byte_offset(struct offsets *o, size_t chars)
{
    if (chars < o->chars) {
        o->chars = 0;
        o->bytes = 0;
    }
    while (o->chars < chars && o->bytes < o->len) {
        unsigned char c = (unsigned char)o->buf[o->bytes];
        o->bytes += c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        o->chars++;
    }
    return o->bytes < o->len ? o->bytes : o->len;
}

/* Where libyaml stopped, as a message (caller frees; NULL when out of
 * memory). */
static char *parse_error(const yaml_parser_t *p)
{
    struct strbuf sb;
    sb_init(&sb, 1024);
    sb_addf(&sb, "line %zu column %zu: %s", p->problem_mark.line + 1, p->problem_mark.column + 1,
            p->problem ? p->problem : "YAML error");
    return sb_detach(&sb, NULL);
}

/* Starts the span of a new document at offset start. 0 or -ENOMEM. */
static int span_open(struct spans *s, size_t start)
{
    struct span *nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    s->v = nv;
    memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
    s->v[s->n++].doc_start = start;
    return 0;
}

/* Marks one event in the spans; *depth is the nesting of collections.
 * 0, 1 at the end of the stream, or -ENOMEM. */
static int span_event(struct spans *s, struct offsets *off, const yaml_event_t *ev, int *depth)
{
    struct span *cur = s->n ? &s->v[s->n - 1] : NULL;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        return span_open(s, byte_offset(off, ev->start_mark.index));
    case YAML_DOCUMENT_END_EVENT:
        if (cur)
            cur->doc_end = byte_offset(off, ev->end_mark.index);
        return 0;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_SCALAR_EVENT:
    case YAML_ALIAS_EVENT:
        if (*depth == 0 && cur) {
            cur->node_start = byte_offset(off, ev->start_mark.index);
            cur->has_node = true;
        }
        if (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT) {
            if (*depth == 0 && cur)
                cur->node_end = byte_offset(off, ev->end_mark.index);
        } else {
            (*depth)++;
        }
        return 0;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        if (--*depth == 0 && cur)
            cur->node_end = byte_offset(off, ev->end_mark.index);
        return 0;
    case YAML_STREAM_END_EVENT:
        return 1;
    default:
        return 0;
    }
}

/* Finds the documents of buf with libyaml's event parser (the content is
 * parsed, with every cap, by gw_yaml_load_one afterwards). */
static int find_spans(const char *buf, size_t len, struct spans *ret, char **ret_err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    struct spans s = { 0 };
    struct offsets off = { .buf = buf, .len = len };
    if (!yaml_parser_initialize(&p))
        return -ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    int depth = 0, r = 0;
    while (r == 0) {
        if (!yaml_parser_parse(&p, &ev)) {
            *ret_err = parse_error(&p);
            r = -EINVAL;
            break;
        }
        r = span_event(&s, &off, &ev, &depth);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (r < 0) {
        free(s.v);
        return r;
    }
    *ret = s;
    return 0;
}

static const char *label_of(json_object *o, char *buf, size_t cap)
{
    json_object *md = NULL, *v = NULL;
    const char *kind = json_object_object_get_ex(o, "kind", &v) ? json_object_get_string(v) : "object";
    const char *name = "(unnamed)", *ns = NULL;
    if (json_object_object_get_ex(o, "metadata", &md)) {
        if (json_object_object_get_ex(md, "name", &v) && json_object_is_type(v, json_type_string))
            name = json_object_get_string(v);
        if (json_object_object_get_ex(md, "namespace", &v) && json_object_is_type(v, json_type_string))
            ns = json_object_get_string(v);
    }
    snprintf(buf, cap, "%.60s %.63s%s%.253s", kind, ns ? ns : "", ns ? "/" : "", name);
    return buf;
}

/* Converts one document: 1 when it is not ours (copied as is), 0 with
 * *ret_text set, -EINVAL when it cannot be converted (reported), -ENOMEM. */
static int convert_doc(const char *file, size_t index, const char *text, size_t len, enum gw_api_version to,
                       char **ret_text, size_t *ret_len)
{
    json_object *doc = NULL, *out = NULL;
    char *err = NULL;
    int r = gw_yaml_load_one(text, len, &GW_LIMITS_MANIFEST, &doc, &err);
    if (r < 0) {
        fprintf(stderr, "%s: document %zu: %s\n", file, index, err ? err : strerror(-r));
        free(err);
        return r == -ENOMEM ? r : -EINVAL;
    }
    json_object *a = NULL, *k = NULL;
    json_object_object_get_ex(doc, "apiVersion", &a);
    json_object_object_get_ex(doc, "kind", &k);
    if (!json_object_is_type(doc, json_type_object) ||
        gw_convert_kind_of(json_object_get_string(a), json_object_get_string(k)) == GW_KIND_UNKNOWN) {
        json_object_put(doc);
        return 1;
    }
    struct gw_errlist errs;
    errlist_init(&errs);
    r = gw_convert(doc, to, &out, &errs);
    if (r == -EINVAL) {
        char label[400];
        label_of(doc, label, sizeof(label));
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "%s: document %zu (%s): %s\n", file, index, label, errs.items[i].message);
        if (errs.dropped)
            fprintf(stderr, "%s: document %zu (%s): and %zu more\n", file, index, label, errs.dropped);
    }
    errlist_free(&errs);
    json_object_put(doc);
    if (r == 0) {
        r = gw_yaml_emit(out, ret_text, ret_len);
        json_object_put(out);
    }
    return r;
}

/* Converts a whole stream into *out. Returns 0, -EINVAL (reported) or
 * -ENOMEM. */
static int convert_stream(const char *file, const char *buf, size_t len, enum gw_api_version to,
                          struct strbuf *out, size_t *ret_converted)
{
    struct spans s = { 0 };
    char *err = NULL;
    int r = find_spans(buf, len, &s, &err);
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", file, err ? err : strerror(-r));
        free(err);
        return r;
    }
    size_t pos = 0, failed = 0, converted = 0;
    for (size_t i = 0; i < s.n && r >= 0; i++) {
        struct span *d = &s.v[i];
        if (!d->has_node)
            continue;
        char *text = NULL;
        size_t tlen = 0;
        r = convert_doc(file, i + 1, buf + d->doc_start, d->doc_end - d->doc_start, to, &text, &tlen);
        if (r == 1 || r == -EINVAL) {
            failed += r == -EINVAL;
            r = 0;
            continue;
        }
        if (r < 0)
            break;
        /* the original up to the node, the new node, then on */
        sb_add(out, buf + pos, d->node_start - pos);
        sb_add(out, text, tlen);
        free(text);
        pos = d->node_end;
        /* the emitter ends with a newline: skip the original's own */
        if (pos < len && buf[pos] == '\n')
            pos++;
        converted++;
    }
    free(s.v);
    if (r < 0)
        return r;
    sb_add(out, buf + pos, len - pos);
    if (sb_failed(out))
        return -ENOMEM;
    *ret_converted = converted;
    return failed ? -EINVAL : 0;
}

static bool is_manifest_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path, or every manifest under it when it is a directory (sorted,
 * recursive). */
static int collect(const char *path, char ***files, size_t *n, unsigned depth)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (depth > MAX_DEPTH)
            return 0;
        DIR *d = opendir(path);
        if (!d) {
            fprintf(stderr, "litellm-gateway-operator convert: %s: %s\n", path, strerror(errno));
            return -EIO;
        }
        char **names = NULL;
        size_t nn = 0;
        int r = 0;
        for (struct dirent *de; r == 0 && (de = readdir(d));) {
            if (de->d_name[0] == '.')
                continue;
            char **nv = realloc(names, (nn + 1) * sizeof(*nv));
            char *full = NULL;
            size_t sz = strlen(path) + strlen(de->d_name) + 2;
            if (nv) {
                names = nv;
                full = malloc(sz);
            }
            if (!full) {
                r = -ENOMEM;
                break;
            }
            snprintf(full, sz, "%s/%s", path, de->d_name);
            names[nn++] = full;
        }
        closedir(d);
        if (names)
            qsort(names, nn, sizeof(*names), name_cmp);
        for (size_t i = 0; i < nn; i++) {
            struct stat cs;
            if (r == 0 && stat(names[i], &cs) == 0 && (S_ISDIR(cs.st_mode) || is_manifest_name(names[i])))
                r = collect(names[i], files, n, depth + 1);
            free(names[i]);
        }
        free(names);
        return r;
    }
    if (*n >= MAX_FILES) {
        fprintf(stderr, "litellm-gateway-operator convert: more than %d files\n", MAX_FILES);
        return -E2BIG;
    }
    char **nv = realloc(*files, (*n + 1) * sizeof(*nv));
    char *copy = strdup(path);
    if (nv)
        *files = nv;
    if (!nv || !copy) {
        free(copy);
        return -ENOMEM;
    }
    (*files)[(*n)++] = copy;
    return 0;
}

static int write_file(const char *path, const char *data, size_t len)
{
    struct strbuf tmp;
    sb_init(&tmp, 8192);
    sb_addf(&tmp, "%s.convert-tmp", path);
    FILE *f = sb_failed(&tmp) ? NULL : fopen(sb_str(&tmp), "wb");
    int r = f ? 0 : -errno;
    if (f && fwrite(data, 1, len, f) != len)
        r = -EIO;
    if (f && fclose(f) != 0 && r == 0)
        r = -EIO;
    if (r == 0 && rename(sb_str(&tmp), path) != 0)
        r = -errno;
    if (r < 0) {
        fprintf(stderr, "litellm-gateway-operator convert: cannot write %s: %s\n", path, strerror(-r));
        remove(sb_str(&tmp));
    }
    sb_release(&tmp);
    return r;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: litellm-gateway-operator convert -f FILE|DIR|- [-f ...] --to v1beta1|v1alpha1 [--in-place]\n"
                "  Converts AiGateway, ToolGateway and ToolRoute documents; every other document is kept byte for\n"
                "  byte. Writes the result to stdout, or back into each file with --in-place. Exit 0 converted,\n"
                "  1 some object cannot be converted (nothing written), 2 usage error or unreadable input.\n");
}

struct job {
    char **files;
    size_t n_files;
    enum gw_api_version to;
    bool in_place;
};

static int parse_args(int argc, char **argv, struct job *job)
{
    static const struct option opts[] = { { "filename", required_argument, NULL, 'f' },
                                          { "to", required_argument, NULL, 't' },
                                          { "in-place", no_argument, NULL, 'i' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:t:ih", opts, NULL)) != -1) {
        if (c == 'f') {
            int r = collect(optarg, &job->files, &job->n_files, 0);
            if (r < 0)
                return r == -ENOMEM ? 1 : 2;
        } else if (c == 't') {
            const char *v = optarg;
            if (strcmp(v, "v1beta1") == 0 || strcmp(v, GW_V1BETA1) == 0)
                job->to = GW_API_V1BETA1;
            else if (strcmp(v, "v1alpha1") == 0 || strcmp(v, GW_V1ALPHA1) == 0)
                job->to = GW_API_V1ALPHA1;
            else {
                fprintf(stderr, "litellm-gateway-operator convert: --to %s: want v1beta1 or v1alpha1\n", v);
                return 2;
            }
        } else if (c == 'i') {
            job->in_place = true;
        } else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind < argc || job->n_files == 0 || job->to == GW_API_OTHER) {
        if (optind < argc)
            fprintf(stderr, "litellm-gateway-operator convert: unexpected argument \"%s\"\n", argv[optind]);
        else
            fprintf(stderr, "litellm-gateway-operator convert: %s\n",
                    job->n_files == 0 ? "no input; pass -f FILE, -f DIR or -f - for stdin" : "--to is required");
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; job->in_place && i < job->n_files; i++)
        if (strcmp(job->files[i], "-") == 0) {
            fprintf(stderr, "litellm-gateway-operator convert: --in-place needs files, not stdin\n");
            return 2;
        }
    return -1;
}

int cmd_convert(int argc, char **argv)
{
    struct job job = { 0 };
    int rc = parse_args(argc, argv, &job);
    struct strbuf *outs = NULL;
    if (rc >= 0)
        goto done;
    outs = calloc(job.n_files, sizeof(*outs));
    if (!outs) {
        rc = 1;
        goto done;
    }
    rc = 0;
    size_t total = 0;
    for (size_t i = 0; i < job.n_files; i++) {
        const char *name = strcmp(job.files[i], "-") ? job.files[i] : "<stdin>";
        char *buf = NULL, *err = NULL;
        size_t len = 0, n = 0;
        sb_init(&outs[i], GW_LIMITS_MANIFEST.max_bytes * 4);
        int r = gw_read_file(job.files[i], GW_LIMITS_MANIFEST.max_bytes, &buf, &len, &err);
        if (r < 0) {
            fprintf(stderr, "%s: error: %s\n", name, err ? err : strerror(-r));
            free(err);
            rc = 2;
            continue;
        }
        r = convert_stream(name, buf, len, job.to, &outs[i], &n);
        free(buf);
        total += n;
        if (r < 0 && rc == 0)
            rc = r == -EINVAL ? 1 : 2;
    }
    if (rc != 0)
        goto done;
    for (size_t i = 0; i < job.n_files && rc == 0; i++) {
        if (job.in_place) {
            rc = write_file(job.files[i], sb_str(&outs[i]), outs[i].len) < 0 ? 2 : 0;
            continue;
        }
        if (i > 0 && outs[i].len > 0 && (outs[i - 1].len == 0 || outs[i - 1].buf[outs[i - 1].len - 1] != '\n'))
            fputc('\n', stdout);
        if (i > 0 && outs[i].len > 0 && strncmp(sb_str(&outs[i]), "---", 3) != 0)
            fputs("---\n", stdout);
        fwrite(sb_str(&outs[i]), 1, outs[i].len, stdout);
    }
    if (fflush(stdout) != 0)
        rc = 2;
    fprintf(stderr, "converted %zu object%s to %s in %zu file%s\n", total, total == 1 ? "" : "s",
            gw_api_version_string(job.to), job.n_files, job.n_files == 1 ? "" : "s");
done:
    for (size_t i = 0; i < job.n_files; i++) {
        if (outs)
            sb_release(&outs[i]);
        free(job.files[i]);
    }
    free(outs);
    free(job.files);
    return rc;
}
