/* embedded.h — the JSON files compiled into the binary (generated at build time from
 * schemas/ by the Makefile), so that leadrank runs from any directory with its defaults. */
#ifndef LR_EMBEDDED_H
#define LR_EMBEDDED_H

#include <stddef.h>

extern const char embedded_leads_schema[];
extern const size_t embedded_leads_schema_len;
extern const char embedded_deals_schema[];
extern const size_t embedded_deals_schema_len;
extern const char embedded_model_default[];
extern const size_t embedded_model_default_len;

#endif
