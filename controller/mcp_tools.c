#include "mcp_tools.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "strbuf.h"
#include "clock.h"

#define MCP_MAX_RESPONSE (1u << 20)
#define MCP_MAX_PAGES 20
#define MCP_PROTOCOL_VERSION "2025-03-26"

struct exchange {
    CURL *h;
    const char *url;
    char session[256];          /* Mcp-Session-Id, "" when the server has none */
    char version[32];           /* protocol version the server agreed to */
    struct strbuf body;
    long deadline_ms;           /* absolute, CLOCK_MONOTONIC */
    char *err;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct exchange *x = ud;
    size_t len = size * n;
    if (x->body.len + len > MCP_MAX_RESPONSE)
        return 0; /* aborts the transfer: over the cap */
    sb_add(&x->body, p, len);
    return sb_failed(&x->body) ? 0 : len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct exchange *x = ud;
    size_t len = size * n;
    static const char name[] = "mcp-session-id:";
    if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        const char *v = p + sizeof(name) - 1;
        size_t vl = len - (sizeof(name) - 1);
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl < sizeof(x->session)) {
            memcpy(x->session, v, vl);
            x->session[vl] = '\0';
        }
    }
    return len;
}

static void fail(struct exchange *x, const char *step, const char *why)
{
    if (x->err)
        return;
    size_t n = strlen(step) + strlen(why) + 64;
    x->err = malloc(n);
    if (x->err)
        snprintf(x->err, n, "%s: %s", step, why);
}

/* The JSON-RPC response with id among the body: plain JSON, or the data:
 * lines of an event stream. New reference, or NULL. */
static json_object *find_response(const char *body, int id)
{
    json_object *o = json_tokener_parse(body);
    if (o && json_object_is_type(o, json_type_object)) {
        json_object *jid = NULL;
        if (json_object_object_get_ex(o, "id", &jid) && json_object_get_int(jid) == id)
            return o;
    }
    json_object_put(o);
    for (const char *line = body; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > 5 && strncmp(line, "data:", 5) == 0) {
            char *chunk = strndup(line + 5, len - 5);
            json_object *ev = chunk ? json_tokener_parse(chunk) : NULL;
            free(chunk);
            json_object *jid = NULL;
            if (ev && json_object_object_get_ex(ev, "id", &jid) && json_object_get_int(jid) == id)
                return ev;
            json_object_put(ev);
        }
        line = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* POSTs one JSON-RPC message; for requests (id > 0) returns the result. */
static json_object *rpc(struct exchange *x, const char *step, int id, const char *method, json_object *params)
{
    long left = x->deadline_ms - (long)gw_mono_ms();
    if (left <= 0) {
        fail(x, step, "timed out");
        return NULL;
    }
    json_object *msg = json_object_new_object();
    json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
    if (id > 0)
        json_object_object_add(msg, "id", json_object_new_int(id));
    json_object_object_add(msg, "method", json_object_new_string(method));
    if (params)
        json_object_object_add(msg, "params", json_object_get(params));
    const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: application/json, text/event-stream");
    char ver[64], sess[300];
    if (x->version[0]) {
        snprintf(ver, sizeof(ver), "MCP-Protocol-Version: %s", x->version);
        hdr = curl_slist_append(hdr, ver);
    }
    if (x->session[0]) {
        snprintf(sess, sizeof(sess), "Mcp-Session-Id: %s", x->session);
        hdr = curl_slist_append(hdr, sess);
    }
    sb_release(&x->body);
    sb_init(&x->body, MCP_MAX_RESPONSE + 1);
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, left);
    CURLcode cc = curl_easy_perform(x->h);
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    json_object_put(msg);
    if (cc != CURLE_OK) {
        fail(x, step, curl_easy_strerror(cc));
        return NULL;
    }
    if (code < 200 || code >= 300) {
        char why[64];
        snprintf(why, sizeof(why), "HTTP %ld", code);
        fail(x, step, why);
        return NULL;
    }
    if (id <= 0)
        return json_object_new_object(); /* a notification: nothing to read */
    json_object *resp = find_response(sb_str(&x->body), id);
    json_object *result = NULL, *error = NULL;
    if (resp && json_object_object_get_ex(resp, "result", &result) && result) {
        json_object_get(result);
        json_object_put(resp);
        return result;
    }
    if (resp && json_object_object_get_ex(resp, "error", &error) && error) {
        json_object *m = NULL;
        json_object_object_get_ex(error, "message", &m);
        fail(x, step, m ? json_object_get_string(m) : "error without a message");
    } else {
        fail(x, step, "no JSON-RPC response in the answer");
    }
    json_object_put(resp);
    return NULL;
}

static int collect_names(json_object *result, char ***names, size_t *n, size_t *cap)
{
    json_object *tools = NULL;
    if (!json_object_object_get_ex(result, "tools", &tools) || !json_object_is_type(tools, json_type_array))
        return -EBADMSG;
    for (size_t i = 0; i < json_object_array_length(tools); i++) {
        json_object *name = NULL;
        if (!json_object_object_get_ex(json_object_array_get_idx(tools, i), "name", &name) ||
            !json_object_is_type(name, json_type_string))
            continue;
        if (*n >= MCP_TOOLS_MAX)
            return -E2BIG;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 32;
            char **g = realloc(*names, nc * sizeof(*g));
            if (!g)
                return -ENOMEM;
            *names = g;
            *cap = nc;
        }
        (*names)[*n] = strdup(json_object_get_string(name));
        if (!(*names)[*n])
            return -ENOMEM;
        (*n)++;
    }
    return 0;
}

static json_object *initialize_params(void)
{
    json_object *p = json_object_new_object(), *info = json_object_new_object();
    json_object_object_add(p, "protocolVersion", json_object_new_string(MCP_PROTOCOL_VERSION));
    json_object_object_add(p, "capabilities", json_object_new_object());
    json_object_object_add(info, "name", json_object_new_string("litellm-gateway-operator"));
    json_object_object_add(info, "version", json_object_new_string("1"));
    json_object_object_add(p, "clientInfo", info);
    return p;
}

int mcp_list_tools(const char *url, const char *transport, long timeout_ms, char ***ret_names, size_t *ret_n,
                   char **ret_err)
{
    *ret_err = NULL;
    if (!transport || strcmp(transport, "http") != 0) {
        *ret_err = strdup("only streamable HTTP upstreams can be listed");
        return -EOPNOTSUPP;
    }
    struct exchange x = { .url = url, .deadline_ms = (long)gw_mono_ms() + timeout_ms };
    sb_init(&x.body, MCP_MAX_RESPONSE + 1);
    x.h = curl_easy_init();
    if (!x.h) {
        sb_release(&x.body);
        return -ENOMEM;
    }
    curl_easy_setopt(x.h, CURLOPT_URL, url);
    curl_easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(x.h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(x.h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(x.h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x.h, CURLOPT_USERAGENT, "litellm-gateway-operator");
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = -EIO;
    json_object *params = initialize_params();
    json_object *init = rpc(&x, "initialize", 1, "initialize", params);
    json_object_put(params);
    json_object *agreed = NULL;
    if (init && json_object_object_get_ex(init, "protocolVersion", &agreed) &&
        json_object_is_type(agreed, json_type_string) && json_object_get_string_len(agreed) < (int)sizeof(x.version))
        snprintf(x.version, sizeof(x.version), "%s", json_object_get_string(agreed));
    json_object *ack = init ? rpc(&x, "notifications/initialized", 0, "notifications/initialized", NULL) : NULL;
    json_object_put(init);
    char *cursor = NULL;
    for (int page = 0; ack && page < MCP_MAX_PAGES; page++) {
        json_object *p = json_object_new_object();
        if (cursor)
            json_object_object_add(p, "cursor", json_object_new_string(cursor));
        json_object *res = rpc(&x, "tools/list", 2 + page, "tools/list", p);
        json_object_put(p);
        free(cursor);
        cursor = NULL;
        if (!res)
            break;
        r = collect_names(res, &names, &n, &cap);
        json_object *next = NULL;
        if (r == 0 && json_object_object_get_ex(res, "nextCursor", &next) && json_object_is_type(next, json_type_string))
            cursor = strdup(json_object_get_string(next));
        json_object_put(res);
        if (r < 0) {
            fail(&x, "tools/list", r == -E2BIG ? "more tools than the operator lists" : "unexpected result");
            break;
        }
        if (!cursor)
            break;
    }
    free(cursor);
    json_object_put(ack);
    curl_easy_cleanup(x.h);
    sb_release(&x.body);
    if (x.err || r < 0) {
        mcp_tools_free(names, n);
        *ret_err = x.err ? x.err : strdup("tools/list failed");
        return r < 0 ? r : -EIO;
    }
    *ret_names = names;
    *ret_n = n;
    return 0;
}

void mcp_tools_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}
