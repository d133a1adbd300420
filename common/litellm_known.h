/* litellm_known: what the pinned LiteLLM release knows, as NULL-terminated
 * lists: provider prefixes, top-level config keys and their sub-keys we
 * check. Kept in one place so a LiteLLM upgrade touches one file. */
#ifndef GW_LITELLM_KNOWN_H
#define GW_LITELLM_KNOWN_H

#include <stdbool.h>

extern const char *const litellm_providers[];
extern const char *const litellm_top_level_keys[];

bool litellm_provider_known(const char *provider);
bool litellm_top_level_key_known(const char *key);

#endif
