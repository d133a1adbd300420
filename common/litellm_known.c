#include "litellm_known.h"

#include <string.h>

/* Provider prefixes of the pinned LiteLLM (its provider list). */
const char *const litellm_providers[] = {
    "openai", "text-completion-openai", "custom_openai", "azure", "azure_text", "azure_ai",
    "anthropic", "anthropic_text", "bedrock", "bedrock_mantle", "sagemaker", "sagemaker_chat",
    "vertex_ai", "vertex_ai_beta", "gemini", "palm", "mistral", "codestral",
    "text-completion-codestral", "cohere", "cohere_chat", "groq", "ollama", "ollama_chat",
    "huggingface", "together_ai", "openrouter", "deepseek", "xai", "perplexity", "fireworks_ai",
    "databricks", "watsonx", "watsonx_text", "replicate", "anyscale", "cloudflare", "deepinfra",
    "ai21", "ai21_chat", "nvidia_nim", "cerebras", "sambanova", "hosted_vllm", "vllm",
    "lm_studio", "voyage", "jina_ai", "friendliai", "github", "github_copilot", "litellm_proxy",
    "dashscope", "moonshot", "nebius", "novita", "featherless_ai", "nscale", "v0", "morph",
    "lambda_ai", "hyperbolic", "meta_llama", "llamafile", "predibase", "clarifai", "petals",
    "nlp_cloud", "aleph_alpha", "baseten", "empower", "infinity", "triton", "snowflake", "topaz",
    "assemblyai", "elevenlabs", "deepgram", "aiml", "galadriel", "volcengine", "maritalk",
    "oci", "ovhcloud", "datarobot", "bytez", "heroku", "cometapi", "wandb", "gradient_ai",
    "azure_ai_foundry", "recraft", "openai_like", "custom", "langfuse", "dotprompt", "xinference",
    "mistral_ai", "perplexity_ai", "vercel_ai_gateway", "lemonade", "docker_model_runner",
    "compactifai", "cloudrift", "nvidia", "bedrock_converse", "hugging_face", "runwayml",
    "fal_ai", "stability", "zai", "minimax", "amazon_nova", "apertis", "publicai", "poe", NULL,
};

/* Top-level keys the pinned LiteLLM proxy reads from its config file. */
const char *const litellm_top_level_keys[] = {
    "model_list", "litellm_settings", "general_settings", "router_settings", "guardrails",
    "mcp_servers", "environment_variables", "callback_settings", "credential_list",
    "files_settings", "finetune_settings", "assistant_settings", "include", "vector_store_registry",
    "search_tools", "prompts", "mcp_aliases", "pass_through_endpoints", "policies", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

bool litellm_provider_known(const char *provider)
{
    return in_list(litellm_providers, provider);
}

bool litellm_top_level_key_known(const char *key)
{
    return in_list(litellm_top_level_keys, key);
}
