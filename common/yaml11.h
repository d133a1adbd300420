/* yaml11: how PyYAML's SafeLoader (YAML 1.1) reads a plain scalar.
 *
 * LiteLLM loads its config with PyYAML, so the config patch is read, and
 * the config written, by these rules and not by YAML 1.2's: yes/no/on/off
 * are booleans, 0b11 and 017 and 1_000 and 1:30 are integers, .inf is a
 * float while 1e3 (no dot) and 0o17 are strings, 2024-01-31 is a date.
 * The patterns follow PyYAML's implicit resolvers exactly, in its order
 * (float before int before timestamp). */
#ifndef GW_YAML11_H
#define GW_YAML11_H

#include <stdint.h>

enum gw_yaml11_type {
    GW_Y11_STR = 0,
    GW_Y11_NULL,
    GW_Y11_BOOL,
    GW_Y11_INT,
    GW_Y11_FLOAT,
    GW_Y11_TIMESTAMP,   /* a date or datetime: no JSON counterpart */
    GW_Y11_MERGE,       /* "<<" */
    GW_Y11_VALUE,       /* "=": PyYAML's SafeLoader cannot construct it */
};

/* The type PyYAML gives the plain scalar s. */
enum gw_yaml11_type gw_yaml11_resolve(const char *s);

/* The value of a scalar that resolved to BOOL. */
int gw_yaml11_bool(const char *s);
/* The value of a scalar that resolved to INT: 0, -ERANGE when it does not
 * fit in int64 (PyYAML's integers are unbounded), -EINVAL for "0b_" and
 * "0x_" (PyYAML's pattern takes them, its conversion fails). */
int gw_yaml11_int(const char *s, int64_t *ret);
/* The value of a scalar that resolved to FLOAT (.inf, .nan included). */
double gw_yaml11_float(const char *s);

#endif
