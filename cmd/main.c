/* litellm-gateway-operator: admission webhooks and controller that make
 * LiteLLM the implementation of AiGateway and ToolGateway. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "render.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} COMMANDS[] = {
    { "validate", cmd_validate, "validate objects offline, as the webhook would (-f FILE|-)" },
    { "render", cmd_render, "print the ConfigMap, Deployment and Service for gateways (-f FILE...)" },
    { "convert", cmd_convert, "convert AiGateway, ToolGateway, ToolRoute manifests (-f FILE|DIR|- --to v1beta1|v1alpha1)" },
    { "serve", cmd_serve, "run the admission webhook server (--cert-dir DIR; see serve --help)" },
};

static void usage(FILE *to)
{
    fprintf(to, "usage: litellm-gateway-operator <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++)
        fprintf(to, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(to, "  %-9s %s\n", "version", "print the version and the pinned LiteLLM image");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("litellm-gateway-operator %s (LiteLLM %s, image %s)\n", GW_VERSION, GW_LITELLM_VERSION,
               gw_default_image());
        return 0;
    }
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "litellm-gateway-operator: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
