/* textpack (textpack.h), the packing of the controller's cached texts: the
 * input is packed and unpacked, and must come back byte for byte (a text
 * with a NUL byte is refused instead); the packed form holds no NUL. The
 * input is also unpacked as if it were packed text: refused or bounded by
 * the cap, never read or written out of bounds.
 * Seeds: the YAML files of test/testdata (run.sh). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "textpack.h"

/* A dictionary of the shape the controller's are: JSON keys and YAML runs,
 * more than 28 words so that two-byte codes are used too. */
static const char *const WORDS[] = {
    "\"type\":\"", "\"status\":\"", "\"reason\":\"", "\"message\":\"", "\"lastTransitionTime\":\"",
    "\"observedGeneration\":", "\"True\"", "\"False\"", "\"metadata\":{", "\"name\":\"", "\"namespace\":\"",
    "\"labels\":{", "\"annotations\":{", "\"spec\":{", "\"conditions\":[", "apiVersion", "kind: ", "  - ",
    "    ", "\n  ", "app.kubernetes.io/", "runtime.agentic-layer.ai", "litellm", "model_list", "litellm_params",
    "provider", "openai", "anthropic", "AiGateway", "ToolGateway", "ToolRoute", "Deployment", "ConfigMap",
    "Service", "replicas", "containers", "image", "resources", "requests", "limits", "cpu", "memory",
};
static const struct tp_dict DICT = { WORDS, sizeof(WORDS) / sizeof(WORDS[0]) };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char *packed = NULL, *back = NULL;
    size_t packed_len = 0, back_len = 0;
    int r = tp_pack(&DICT, text, size, &packed, &packed_len);
    if (r == 0) {
        FUZZ_CHECK(!memchr(packed, '\0', packed_len), "packed text holds a NUL byte");
        r = tp_unpack(&DICT, packed, packed_len, size, &back, &back_len);
        FUZZ_CHECK(r == 0, "what was packed does not unpack (%d)", r);
        FUZZ_CHECK(back_len == size && memcmp(back, text, size) == 0, "the round trip changed %zu bytes", size);
    } else {
        FUZZ_CHECK(r == -EINVAL && memchr(text, '\0', size), "packing refused a text without NUL (%d)", r);
    }
    free(packed);
    free(back);
    back = NULL;
    r = tp_unpack(&DICT, text, size, (size_t)1 << 20, &back, &back_len);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG, "unpacking gave %d", r);
    FUZZ_CHECK(r != 0 || back_len <= (size_t)1 << 20, "unpacked past the cap");
    free(back);
    return 0;
}
