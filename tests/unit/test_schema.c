/* test_schema.c — schema loading (shipped files, error positions) and header mapping
 * (aliases, first-in-list wins, duplicates, required columns, any_true) in schema.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema.h"
#include "testhelp.h"

/* Loads JSON text; returns the code and leaves the message in err. */
static int load(const char *json, schema **s, lr_err *err) {
  lr_err_clear(err);
  return schema_load_text(json, strlen(json), "t.json", s, err);
}

/* The error message of loading json ("" when it loads). */
static const char *load_msg(const char *json, lr_err *err) {
  schema *s = NULL;
  if (load(json, &s, err) == LR_OK) {
    schema_free(s);
    return "";
  }
  TEST_EQ_INT(err->code, LR_ERR_SCHEMA);
  return err->msg;
}

/* Header names from a comma-separated line (no quoting), at most 64 columns. */
typedef struct header {
  lr_field f[64];
  size_t n;
} header;

static void header_split(const char *line, header *h) {
  const char *p = line;
  h->n = 0;
  for (;;) {
    const char *c = strchr(p, ',');
    h->f[h->n].ptr = p;
    h->f[h->n].len = c ? (size_t)(c - p) : strlen(p);
    h->n++;
    if (c == NULL) break;
    p = c + 1;
  }
}

/* Captures what fn(arg) writes to stderr into buf. */
typedef struct map_call {
  const schema *s;
  header h;
  int policy;
  const char *const *must;
  schema_map m;
  lr_err err;
  int rc;
  char warnings[2048];
} map_call;

static void map_run(map_call *c, const schema *s, const char *line, int policy,
                    const char *const *must) {
  FILE *tmp = tmpfile();
  int saved = dup(2);
  size_t got;
  memset(c, 0, sizeof *c);
  header_split(line, &c->h);
  fflush(stderr);
  dup2(fileno(tmp), 2);
  c->rc = schema_map_header(s, "in.csv", c->h.f, c->h.n, policy, must, &c->m, &c->err);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(tmp);
  got = fread(c->warnings, 1, sizeof c->warnings - 1, tmp);
  c->warnings[got] = '\0';
  fclose(tmp);
}

static long fidx(const schema *s, const char *name) { return schema_field_index(s, name); }

static schema *load_file(const char *path) {
  schema *s = NULL;
  lr_err err;
  lr_err_clear(&err);
  if (schema_load_file(path, &s, &err) != LR_OK) printf("load %s: %s\n", path, err.msg);
  TEST_CHECK(s != NULL);
  return s;
}

static void test_shipped_leads(schema *leads) {
  const schema_field *f;
  static const char *const order[] = {
      "lead_id", "created_at", "company", "domain", "contact_name", "email", "phone", "title",
      "is_decision_maker", "vertical", "country", "employees", "annual_revenue", "budget",
      "lead_source", "relationship", "purchases_count", "last_purchase_at",
      "discount_requested_pct", "price_objections", "competitor_quotes", "info_requests",
      "demo_requests", "meetings_held", "next_step_committed", "decision_date",
      "compelling_event", "pain_stated", "last_activity_at", "owner", "territory",
      "contact_ok", "warm_intro", "first_name", "last_name", "do_not_contact"};
  size_t k;
  TEST_EQ_INT(leads->n_fields, 36);
  for (k = 0; k < 36 && k < leads->n_fields; k++) TEST_EQ_STR(leads->fields[k].name, order[k]);
  f = &leads->fields[fidx(leads, "lead_id")];
  TEST_CHECK(f->type == SCHEMA_STRING && f->required && f->unique);
  f = &leads->fields[fidx(leads, "created_at")];
  TEST_CHECK(f->type == SCHEMA_DATE && f->required && !f->unique && f->date_format == NULL);
  f = &leads->fields[fidx(leads, "employees")];
  TEST_CHECK(f->type == SCHEMA_INTEGER && f->has_minimum && f->minimum == 0 && !f->has_maximum);
  f = &leads->fields[fidx(leads, "annual_revenue")];
  TEST_CHECK(f->type == SCHEMA_NUMBER && f->has_minimum && f->group_char == ',' && !f->bare_number);
  f = &leads->fields[fidx(leads, "discount_requested_pct")];
  TEST_CHECK(f->type == SCHEMA_NUMBER && f->minimum == 0 && f->has_maximum && f->maximum == 100);
  f = &leads->fields[fidx(leads, "relationship")];
  TEST_EQ_INT(f->n_enum, 5);
  if (f->n_enum == 5) {
    TEST_EQ_STR(f->enum_values[0], "new");
    TEST_EQ_STR(f->enum_values[4], "returning_customer");
  }
  TEST_EQ_INT(leads->fields[fidx(leads, "email")].format_email, 1);
  TEST_EQ_INT(leads->fields[fidx(leads, "phone")].format_email, 0);
  TEST_EQ_INT(leads->fields[fidx(leads, "contact_ok")].type, SCHEMA_BOOLEAN);
  TEST_EQ_INT(leads->fields[fidx(leads, "do_not_contact")].any_true, 1);
  TEST_EQ_INT(leads->fields[fidx(leads, "contact_ok")].any_true, 0);
  TEST_EQ_INT(leads->fields[fidx(leads, "last_activity_at")].type, SCHEMA_DATE);
  TEST_EQ_INT(leads->fields[fidx(leads, "meetings_held")].type, SCHEMA_INTEGER);
  TEST_EQ_INT(leads->n_missing, 9);
  if (leads->n_missing == 9) {
    TEST_EQ_STR(leads->missing_values[0], "");
    TEST_EQ_STR(leads->missing_values[8], "-");
  }
  TEST_EQ_INT(fidx(leads, "Lead_ID"), -1); /* exact names only */
}

/* The mapping schemas are the canonical schema plus aliases. */
static void test_shipped_same_as_leads(const schema *leads, const schema *m) {
  size_t k;
  TEST_EQ_INT(m->n_fields, leads->n_fields);
  for (k = 0; k < m->n_fields && k < leads->n_fields; k++) {
    const schema_field *a = &leads->fields[k], *b = &m->fields[k];
    TEST_EQ_STR(b->name, a->name);
    TEST_CHECK(a->type == b->type && a->required == b->required && a->unique == b->unique &&
               a->has_minimum == b->has_minimum && a->minimum == b->minimum &&
               a->has_maximum == b->has_maximum && a->maximum == b->maximum &&
               a->n_enum == b->n_enum && a->format_email == b->format_email &&
               a->any_true == b->any_true);
  }
}

static void test_shipped_deals(const schema *deals) {
  const schema_field *f = &deals->fields[fidx(deals, "outcome")];
  TEST_EQ_INT(deals->n_fields, 10);
  TEST_EQ_STR(deals->fields[0].name, "deal_id");
  TEST_CHECK(f->type == SCHEMA_STRING && f->required && f->n_enum == 2);
  TEST_EQ_INT(deals->fields[fidx(deals, "closed_at")].type, SCHEMA_DATE);
  TEST_EQ_INT(deals->fields[fidx(deals, "cycle_days")].type, SCHEMA_INTEGER);
  TEST_EQ_DBL(deals->fields[fidx(deals, "discount_pct")].maximum, 100.0);
  TEST_EQ_INT(deals->fields[fidx(deals, "deal_id")].unique, 0); /* A19 */
}

static void test_load_errors(void) {
  lr_err err;
  schema *s = (schema *)1;
  TEST_EQ_STR(load_msg("{\n  \"fields\": [\n    {\"name\": \"a\",}\n  ]\n}", &err),
              "t.json:3:18: string or '}' expected near '}'");
  TEST_EQ_INT(load("[1]", &s, &err), LR_ERR_SCHEMA);
  TEST_CHECK(s == NULL);
  TEST_EQ_STR(err.msg, "t.json:1:1: a schema must be a JSON object");
  TEST_EQ_STR(load_msg("\"abc\"", &err), "t.json:1:5: '[' or '{' expected near '\"abc\"'");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"name\": \"b\"}]}", &err),
              "t.json:1:32: duplicate object key near '\"name\"'");
  /* unknown type: the position of the type's value */
  TEST_EQ_STR(load_msg("{\n  \"fields\": [\n    {\"name\": \"a\", \"type\": \"string\"},\n"
                       "    {\"name\": \"b\",\n     \"type\": \"money\"}\n  ]\n}", &err),
              "t.json:5:14: field 'b': unknown type 'money' (supported: string, number, "
              "integer, boolean, date)");
  /* columns count characters: "été" is three */
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"\xC3\xA9t\xC3\xA9\", \"type\": \"text\"}]}", &err),
              "t.json:1:37: field '\xC3\xA9t\xC3\xA9': unknown type 'text' (supported: string, "
              "number, integer, boolean, date)");
  TEST_EQ_STR(load_msg("{\"fields\": [\n  {\"name\": \"a\", \"constraints\": {\"required\": true,\n"
                       "                                \"pattern\": \"^x\"}}\n]}", &err),
              "t.json:3:44: field 'a': unknown constraint 'pattern' (supported: required, "
              "unique, minimum, maximum, enum)");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"d\", \"type\": \"date\", \"format\": \"%d/%m/%y\"}]}", &err),
              "t.json:1:53: field 'd': unknown format directive '%y' in date format "
              "'%d/%m/%y' (allowed: %Y %m %d %H %M %S %%)");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"d\", \"type\": \"date\", \"format\": \"%m/%d\"}]}", &err),
              "t.json:1:53: field 'd': date format '%m/%d' needs %Y, %m and %d");
  /* a key written with escapes: the enclosing field object's position */
  TEST_EQ_STR(load_msg("{\"fields\": [\n  {\"name\": \"a\", \"typ\\u0065\": \"money\"}]}", &err),
              "t.json:2:3: field 'a': unknown type 'money' (supported: string, number, "
              "integer, boolean, date)");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"pattern\": \"x\"}]}", &err),
              "t.json:1:38: field 'a': unknown property 'pattern'");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\"}], \"primaryKey\": \"a\"}", &err),
              "t.json:1:43: unknown schema property 'primaryKey' (supported: fields, "
              "missingValues, title, description)");
  TEST_EQ_STR(load_msg("{\"fields\": []}", &err), "t.json:1:12: 'fields' must be a non-empty array");
  TEST_EQ_STR(load_msg("{\"title\": \"x\"}", &err), "t.json:1:1: 'fields' must be a non-empty array");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"type\": \"string\"}]}", &err),
              "t.json:1:13: fields[0] needs a non-empty string 'name'");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \" a\"}]}", &err),
              "t.json:1:22: field name ' a' has blanks at its ends");
  /* aliases: not a list, empty, clashing with another field or repeating its own name */
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"aliases\": \"A1\"}]}", &err),
              "t.json:1:38: aliases must be a non-empty array of strings");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"aliases\": [\"x\", 3]}]}", &err),
              "t.json:1:44: aliases must hold strings (without NUL)");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"aliases\": [\"\"]}]}", &err),
              "t.json:1:39: aliases must not hold an empty string");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"aliases\": [\"x \"]}]}", &err),
              "t.json:1:39: field 'a': alias 'x ' has blanks at its ends");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\"},\n {\"name\": \"b\", \"aliases\": [\"c\", \"A\"]}]}", &err),
              "t.json:2:33: field 'b': alias 'A' repeats the name 'a' of field 'a'");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"aliases\": [\"B\"]},\n {\"name\": \"b\"}]}", &err),
              "t.json:2:2: field name 'b' repeats alias 'B' of field 'a'");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"aliases\": [\"Phone\", \"PHONE\"]}]}", &err),
              "t.json:1:48: field 'a': alias 'PHONE' repeats alias 'Phone' of field 'a'");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", &err),
              "t.json:1:28: field name 'a' repeats the name 'a' of field 'a'");
  /* properties that do not fit the type */
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"format\": \"uri\"}]}", &err),
              "t.json:1:37: field 'a': unknown format 'uri' for a string field (allowed: "
              "default, email)");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"type\": \"integer\", \"format\": \"email\"}]}", &err),
              "t.json:1:56: field 'a': unknown format 'email' for a non-date field (allowed: default)");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"trueValues\": [\"x\"]}]}", &err),
              "t.json:1:41: field 'a': trueValues applies to boolean fields only");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"constraints\": {\"minimum\": 0}}]}", &err),
              "t.json:1:54: field 'a': constraint 'minimum' applies to number and integer fields only");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"type\": \"integer\", \"constraints\": {\"enum\": [\"1\"]}}]}", &err),
              "t.json:1:70: field 'a': constraint 'enum' applies to string fields only");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"type\": \"number\", \"constraints\": {\"minimum\": 5, \"maximum\": 1}}]}", &err),
              "t.json:1:60: field 'a': minimum is above maximum");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"constraints\": {\"required\": \"yes\"}}]}", &err),
              "t.json:1:55: field 'a': constraint 'required' must be true or false");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\", \"type\": \"number\", \"groupChar\": \".\"}]}", &err),
              "t.json:1:58: field 'a': groupChar must be one ASCII character other than a "
              "digit, '.', '+', '-', '%' or '$'");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"do_not_contact\"}]}", &err),
              "t.json:1:13: field 'do_not_contact' must be of type boolean");
  TEST_EQ_STR(load_msg("{\"fields\": [{\"name\": \"a\"}], \"missingValues\": [\"\", 0]}", &err),
              "t.json:1:51: missingValues must hold strings (without NUL)");
  lr_err_clear(&err);
  TEST_EQ_INT(schema_load_file("tests/unit/no-such-schema.json", &s, &err), LR_ERR_SCHEMA);
  TEST_EQ_STR(err.msg, "tests/unit/no-such-schema.json: cannot read: No such file or directory (--schema)");
}

static void test_load_options(void) {
  lr_err err;
  schema *s = NULL;
  const schema_field *f;
  TEST_EQ_INT(load("{\"title\": \"t\", \"description\": \"d\", \"missingValues\": [\"\", \"?\"],"
                   " \"fields\": [{\"name\": \"a\", \"title\": \"A\", \"description\": \"x\","
                   " \"example\": [1], \"format\": \"default\"},"
                   " {\"name\": \"d\", \"type\": \"date\", \"format\": \"%d.%m.%Y\"},"
                   " {\"name\": \"n\", \"type\": \"number\", \"groupChar\": \" \", \"bareNumber\": true},"
                   " {\"name\": \"b\", \"type\": \"boolean\", \"trueValues\": [\"Oui\"], \"falseValues\": [\"Non\"]}]}",
                   &s, &err), LR_OK);
  if (s == NULL) return;
  TEST_EQ_INT(s->n_missing, 2);
  TEST_EQ_STR(s->missing_values[1], "?");
  TEST_EQ_INT(s->fields[0].type, SCHEMA_STRING); /* Table Schema's default type */
  TEST_EQ_INT(s->fields[0].format_email, 0);
  TEST_EQ_STR(s->fields[1].date_format, "%d.%m.%Y");
  f = &s->fields[2];
  TEST_CHECK(f->group_char == ' ' && f->bare_number == 1);
  f = &s->fields[3];
  TEST_CHECK(f->n_true == 1 && f->n_false == 1);
  TEST_EQ_STR(f->true_values[0], "Oui");
  TEST_EQ_STR(f->false_values[0], "Non");
  schema_free(s);
  schema_free(NULL);
}

static void test_map_salesforce(const schema *sf) {
  map_call c;
  map_run(&c, sf,
          "Id,FirstName,LastName,Name,Company,Email,Phone,MobilePhone,Title,Industry,Country,"
          "AnnualRevenue,NumberOfEmployees,LeadSource,OwnerId,CreatedDate,LastActivityDate,"
          "Website,HasOptedOutOfEmail,DoNotCall,Notes",
          SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_OK);
  if (c.rc != LR_OK) return;
  {
    static const char *const want[] = {
        "lead_id", "first_name", "last_name", "contact_name", "company", "email", "phone", NULL,
        "title", "vertical", "country", "annual_revenue", "employees", "lead_source", "owner",
        "created_at", "last_activity_at", "domain", "do_not_contact", "do_not_contact", NULL};
    size_t j;
    TEST_EQ_INT(c.m.n_cols, 21);
    for (j = 0; j < 21; j++) {
      if (want[j] == NULL) {
        TEST_EQ_INT(c.m.col_field[j], -1);
      } else {
        TEST_EQ_INT(c.m.col_field[j], fidx(sf, want[j]));
      }
    }
  }
  TEST_EQ_INT(c.m.field_col[fidx(sf, "phone")], 6);        /* Phone before MobilePhone */
  TEST_EQ_INT(c.m.field_col[fidx(sf, "do_not_contact")], 18);
  TEST_EQ_INT(c.m.field_col[fidx(sf, "budget")], -1);      /* absent optional column */
  TEST_EQ_STR(c.warnings, "leadrank: warning: in.csv: column 'MobilePhone' also matches "
                          "field 'phone'; using 'Phone'\n");
  schema_map_release(&c.m);

  /* DoNotCall first in the header: both feed do_not_contact, HasOptedOutOfEmail ranks first */
  map_run(&c, sf, "Id,CreatedDate,DoNotCall,HasOptedOutOfEmail", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_OK);
  TEST_EQ_INT(c.m.col_field[2], fidx(sf, "do_not_contact"));
  TEST_EQ_INT(c.m.col_field[3], fidx(sf, "do_not_contact"));
  TEST_EQ_INT(c.m.field_col[fidx(sf, "do_not_contact")], 3);
  TEST_EQ_STR(c.warnings, "");
  schema_map_release(&c.m);

  /* snake_case API names and report labels */
  map_run(&c, sf, "lead_id,created_date,number_of_employees,lead_source,owner_id,last_activity_date",
          SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_OK);
  TEST_EQ_INT(c.m.col_field[1], fidx(sf, "created_at"));
  TEST_EQ_INT(c.m.col_field[2], fidx(sf, "employees"));
  TEST_EQ_INT(c.m.col_field[3], fidx(sf, "lead_source"));
  TEST_EQ_INT(c.m.col_field[4], fidx(sf, "owner"));
  TEST_EQ_INT(c.m.col_field[5], fidx(sf, "last_activity_at"));
  schema_map_release(&c.m);
  map_run(&c, sf, "Lead ID,First Name,Last Name,Company / Account,Lead Source,Industry,Annual "
                  "Revenue,No. of Employees,Lead Owner,Created Date,Create Date,Last Activity,"
                  "Email Opt Out", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_OK);
  TEST_EQ_INT(c.m.col_field[0], fidx(sf, "lead_id"));
  TEST_EQ_INT(c.m.col_field[3], fidx(sf, "company"));
  TEST_EQ_INT(c.m.col_field[6], fidx(sf, "annual_revenue"));
  TEST_EQ_INT(c.m.col_field[7], fidx(sf, "employees"));
  TEST_EQ_INT(c.m.col_field[8], fidx(sf, "owner"));
  TEST_EQ_INT(c.m.col_field[9], -1); /* Created Date ranks after Create Date */
  TEST_EQ_INT(c.m.field_col[fidx(sf, "created_at")], 10);
  TEST_EQ_INT(c.m.col_field[11], fidx(sf, "last_activity_at"));
  TEST_EQ_INT(c.m.col_field[12], fidx(sf, "do_not_contact"));
  TEST_EQ_STR(c.warnings, "leadrank: warning: in.csv: column 'Created Date' also matches "
                          "field 'created_at'; using 'Create Date'\n");
  schema_map_release(&c.m);

  /* a missing required column names the spellings looked for */
  map_run(&c, sf, "FirstName,CreatedDate", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_ERR_INPUT);
  TEST_EQ_STR(c.err.msg, "in.csv: missing required column 'lead_id' (looked for: lead_id, Id, Lead ID)");
  TEST_CHECK(c.m.col_field == NULL && c.m.field_col == NULL);
}

static void test_map_hubspot(const schema *hs) {
  map_call c;
  map_run(&c, hs,
          "Record ID,Contact ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,"
          "Job Title,Company Name,Associated Company,Industry,Annual Revenue,Number of Employees,"
          "Country/Region,Country,Contact owner,Create Date,Last Activity Date,Original Source,"
          "Lead Source,Website URL,Associated Company Domain,Unsubscribed from all email",
          SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_OK);
  if (c.rc != LR_OK) return;
  {
    static const char *const want[] = {
        "lead_id", NULL, "first_name", "last_name", "email", "phone", NULL, "title", "company",
        NULL, "vertical", "annual_revenue", "employees", NULL, "country", "owner", "created_at",
        "last_activity_at", NULL, "lead_source", "domain", NULL, "do_not_contact"};
    size_t j;
    for (j = 0; j < 23; j++) {
      if (want[j] == NULL) {
        TEST_EQ_INT(c.m.col_field[j], -1);
      } else {
        TEST_EQ_INT(c.m.col_field[j], fidx(hs, want[j]));
      }
    }
  }
  TEST_EQ_STR(c.warnings,
              "leadrank: warning: in.csv: column 'Contact ID' also matches field 'lead_id'; using 'Record ID'\n"
              "leadrank: warning: in.csv: column 'Mobile Phone Number' also matches field 'phone'; using 'Phone Number'\n"
              "leadrank: warning: in.csv: column 'Associated Company' also matches field 'company'; using 'Company Name'\n"
              "leadrank: warning: in.csv: column 'Country/Region' also matches field 'country'; using 'Country'\n"
              "leadrank: warning: in.csv: column 'Original Source' also matches field 'lead_source'; using 'Lead Source'\n"
              "leadrank: warning: in.csv: column 'Associated Company Domain' also matches field 'domain'; using 'Website URL'\n");
  schema_map_release(&c.m);

  /* HubSpot repeats Create Date for the associated company */
  map_run(&c, hs, "Record ID,Create Date,Email,Create Date", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_ERR_INPUT);
  TEST_EQ_STR(c.err.msg, "in.csv: duplicated column name 'Create Date' (columns 2 and 4)");
  map_run(&c, hs, "Record ID,Create Date,Email, create date ", SCHEMA_DUP_FIRST, NULL);
  TEST_EQ_INT(c.rc, LR_OK);
  TEST_EQ_INT(c.m.col_field[1], fidx(hs, "created_at"));
  TEST_EQ_INT(c.m.col_field[3], -1);
  TEST_EQ_INT(c.m.field_col[fidx(hs, "created_at")], 1);
  TEST_EQ_STR(c.warnings, "leadrank: warning: in.csv: duplicated column 'create date' (column 4) "
                          "passes through; using column 2\n");
  schema_map_release(&c.m);
}

static void test_map_canonical(const schema *leads, const schema *deals) {
  static const char *const need_vertical[] = {"vertical", NULL};
  static const char *const need_unknown[] = {"lead_score", NULL};
  map_call c;
  /* trimmed, ASCII case-insensitive; empty names are never duplicates */
  map_run(&c, leads, "  LEAD_ID ,Created_At,,Notes, ,\t", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_OK);
  TEST_EQ_INT(c.m.col_field[0], 0);
  TEST_EQ_INT(c.m.col_field[1], 1);
  TEST_EQ_INT(c.m.col_field[2], -1);
  TEST_EQ_INT(c.m.col_field[3], -1);
  TEST_EQ_INT(c.m.col_field[4], -1);
  TEST_EQ_INT(c.m.col_field[5], -1);
  TEST_EQ_STR(c.warnings, "");
  schema_map_release(&c.m);
  /* unknown columns are checked for duplicates too */
  map_run(&c, leads, "lead_id,created_at,Notes,NOTES", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_ERR_INPUT);
  TEST_EQ_STR(c.err.msg, "in.csv: duplicated column name 'NOTES' (columns 3 and 4)");
  map_run(&c, leads, "lead_id,company", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_ERR_INPUT);
  TEST_EQ_STR(c.err.msg, "in.csv: missing required column 'created_at' (looked for: created_at)");
  /* canonical names are not aliases of the mapping schemas' fields and vice versa */
  map_run(&c, leads, "Id,created_at", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_ERR_INPUT);
  /* must_have: required by the command, not by the schema */
  map_run(&c, deals, "deal_id,outcome", SCHEMA_DUP_ERROR, need_vertical);
  TEST_EQ_INT(c.rc, LR_ERR_INPUT);
  TEST_EQ_STR(c.err.msg, "in.csv: missing required column 'vertical' (looked for: vertical)");
  map_run(&c, deals, "vertical,outcome", SCHEMA_DUP_ERROR, need_vertical);
  TEST_EQ_INT(c.rc, LR_OK);
  schema_map_release(&c.m);
  map_run(&c, deals, "vertical", SCHEMA_DUP_ERROR, NULL);
  TEST_EQ_INT(c.rc, LR_ERR_INPUT);
  TEST_EQ_STR(c.err.msg, "in.csv: missing required column 'outcome' (looked for: outcome)");
  map_run(&c, deals, "vertical,outcome", SCHEMA_DUP_ERROR, need_unknown);
  TEST_EQ_INT(c.rc, LR_ERR_SCHEMA);
  TEST_EQ_STR(c.err.msg, "schemas/deals.schema.json: the schema has no field 'lead_score', "
                         "which this command needs");
}

/* The members schema load derives for validate: list lengths and the missing-token table
 * (bit L of missing_first[c]: a token of L bytes, 7 meaning 7 or more, starts with c). */
static void test_derived(const schema *leads) {
  lr_err err;
  schema *s = NULL;
  const schema_field *f;
  /* SPEC's default list: "", n/a, N/A, NA, null, NULL, none, None, - */
  TEST_EQ_INT(leads->missing_max_len, 4);
  TEST_EQ_INT(leads->missing_empty, 1);
  TEST_EQ_INT(leads->missing_lens[0], 0);
  TEST_EQ_INT(leads->missing_lens[1], 3);
  TEST_EQ_INT(leads->missing_lens[8], 1);
  TEST_EQ_INT(leads->missing_first['n'], (1 << 3) | (1 << 4));
  TEST_EQ_INT(leads->missing_first['N'], (1 << 2) | (1 << 3) | (1 << 4));
  TEST_EQ_INT(leads->missing_first['-'], 1 << 1);
  TEST_EQ_INT(leads->missing_first['x'], 0);
  TEST_EQ_INT(leads->missing_first[0], 0);
  f = &leads->fields[schema_field_index(leads, "relationship")];
  TEST_EQ_INT(f->n_enum, 5);
  if (f->n_enum == 5) {
    TEST_EQ_INT(f->enum_lens[0], 3);  /* new */
    TEST_EQ_INT(f->enum_lens[4], 18); /* returning_customer */
  }
  TEST_CHECK(leads->fields[0].enum_lens == NULL && leads->fields[0].true_lens == NULL);
  TEST_EQ_INT(load("{\"missingValues\": [\"?\", \"not_provided\", \"nil\"],"
                   " \"fields\": [{\"name\": \"b\", \"type\": \"boolean\","
                   " \"trueValues\": [\"Oui\", \"O\"], \"falseValues\": [\"Nein\"]}]}",
                   &s, &err), LR_OK);
  if (s == NULL) return;
  TEST_EQ_INT(s->missing_max_len, 12);
  TEST_EQ_INT(s->missing_empty, 0);
  TEST_EQ_INT(s->missing_first['?'], 1 << 1);
  TEST_EQ_INT(s->missing_first['n'], (1 << 7) | (1 << 3));
  f = &s->fields[0];
  TEST_CHECK(f->true_lens != NULL && f->true_lens[0] == 3 && f->true_lens[1] == 1);
  TEST_CHECK(f->false_lens != NULL && f->false_lens[0] == 4);
  schema_free(s);
}

int main(void) {
  schema *leads = load_file("schemas/leads.schema.json");
  schema *deals = load_file("schemas/deals.schema.json");
  schema *sf = load_file("schemas/salesforce-leads.schema.json");
  schema *hs = load_file("schemas/hubspot-contacts.schema.json");
  if (leads && deals && sf && hs) {
    test_shipped_leads(leads);
    test_shipped_same_as_leads(leads, sf);
    test_shipped_same_as_leads(leads, hs);
    test_shipped_deals(deals);
    test_map_salesforce(sf);
    test_map_hubspot(hs);
    test_map_canonical(leads, deals);
    test_derived(leads);
  }
  test_load_errors();
  test_load_options();
  schema_free(leads);
  schema_free(deals);
  schema_free(sf);
  schema_free(hs);
  return TEST_REPORT();
}
