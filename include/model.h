/* model.h — the scoring model's constants (SPEC §4), defaults and --model overrides.
 *
 * schemas/model.default.json lists every key with its default value and a description;
 * it is embedded in the binary and is the only place the defaults are written. A --model
 * file has the same shape, may name only some keys and overrides just those. A model is
 * filled once in main and is then read-only (any thread may read it).
 */
#ifndef LR_MODEL_H
#define LR_MODEL_H

#include <stddef.h>

#include "lr_err.h"

enum model_set { MODEL_PROSPECT = 0, MODEL_CUSTOMER = 1 };
enum model_component { /* order is the SPEC's and the reason tie-break order */
  MODEL_VB, MODEL_NE, MODEL_AF, MODEL_AP, MODEL_AU, MODEL_VP,
  MODEL_PD, MODEL_NH, MODEL_ER, MODEL_NN, MODEL_ST, MODEL_NA,
  MODEL_N_COMPONENTS
};

typedef struct model {
  double weight[2][MODEL_N_COMPONENTS]; /* [set][component]: fit 0..5, risk 6..11 */
  /* every other constant of SPEC §4, one member per key of model.default.json */
  double vb_customers_scale;      /* 20: VB = 1 - e^(-c/20) ... */
  double vb_win_ratio_cap;        /* 1.5 */
  double ne_event;                /* 0.6 */
  double ne_pain;                 /* 0.4 */
  double af_revenue_share;        /* 0.02 */
  double af_revenue_factor;       /* 0.7 */
  double af_unknown;              /* 0.3 */
  double ap_warm;                 /* 1 */
  double ap_both;                 /* 0.7 */
  double ap_one;                  /* 0.5 */
  double ap_none;                 /* 0.1 */
  double ap_phone_min_digits;     /* 7 */
  double au_dm;                   /* 1 */
  double au_other;                /* 0.3 */
  double pd_discount_scale;       /* 25 */
  double pd_per_objection;        /* 0.12 */
  double pd_per_competitor_quote; /* 0.15 */
  double nh_few_customers;        /* 5 */
  double nh_few_value;            /* 0.5 */
  double er_meeting_weight;       /* 2 */
  double er_scale;                /* 6 */
  double er_next_step_factor;     /* 0.25 */
  double er_decision_date_factor; /* 0.5 */
  double st_age_offset;           /* 1.5 */
  double st_age_scale;            /* 2.5 */
  double st_idle_offset;          /* 90 */
  double st_idle_scale;           /* 180 */
  double seg_price_shopper_pd;    /* 0.5 */
  double seg_loyal_purchases;     /* 3 */
  double seg_new_max_purchases;   /* 1 */
  double seg_new_recent_days;     /* 180 */
  double dq_price_buyer_pd;       /* 0.8 */
  double dq_budget_share;         /* 0.1 */
  double dq_window_shopper_er;    /* 0.9 */
  double dq_window_shopper_st;    /* 0.5 */
  double tier_a_priority;         /* 60 */
  double tier_a_max_risk;         /* 30 */
  double tier_b_priority;         /* 43 */
  double tier_c_priority;         /* 28 */
  double reason_min_contribution; /* 5.0 */
} model;

/* Fills m from the embedded schemas/model.default.json. */
int model_load_defaults(model *m, lr_err *err) LR_MUST_CHECK;

/* Overrides m's constants with those named in the JSON file at path. Unknown keys,
 * non-numbers and negative values are LR_ERR_SCHEMA with the file's line and column. */
int model_load_file(model *m, const char *path, lr_err *err) LR_MUST_CHECK;

#endif
