/* The subcommands of litellm-gateway-operator. Each returns the process
 * exit code: 0 success, 1 rejected or failed, 2 usage error. */
#ifndef GW_COMMANDS_H
#define GW_COMMANDS_H

int cmd_validate(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#endif
