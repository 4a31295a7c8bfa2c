/* frame.h — record framing: the one sequential pass over an input's decompressed bytes.
 *
 * In:  one input's whole decompressed text (data, len), owned by the caller and alive as
 *      long as the frame and every frame_rec taken from it.
 * Out: one frame_rec per call to frame_next, in input order: a blank line, a record, or
 *      a reject the framer decides itself (record_too_long, unbalanced_quote,
 *      wrong_field_count), with its first physical line number.
 *
 * The framer applies SPEC §2 and refscore's A1–A10: a UTF-8 BOM at offset 0 is skipped;
 * physical lines end at CRLF, LF or a lone CR; every record starts at the start of a
 * physical line; libcsv's default-mode state machine (csv_init(&p, 0)) decides where a
 * record ends, how many fields it has, and whether a quoted field used the lenient rule;
 * then the resync rules decide what is a record and what is rejected (first physical line
 * only, resuming at the next line).
 *
 * Call order: frame_init, then frame_next until it returns FRAME_END. The first call for
 * the header passes ncols = -1 (no field-count rule); later calls pass the header's field
 * count. Not thread-safe per frame; distinct frames are independent.
 */
#ifndef LR_FRAME_H
#define LR_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum frame_kind {
  FRAME_END = 0,  /* no more input */
  FRAME_BLANK,    /* a blank physical line (A3): skipped and counted */
  FRAME_RECORD,   /* a record to parse: bytes [offset, offset+len) */
  FRAME_REJECT    /* rejected by the framer: reason set, [offset, offset+len) is the raw text */
};

typedef struct frame_rec {
  int kind;            /* enum frame_kind */
  int reason;          /* FRAME_REJECT: LR_REASON_RECORD_TOO_LONG, _UNBALANCED_QUOTE or _WRONG_FIELD_COUNT */
  uint64_t line;       /* 1-based physical line of the record's first byte */
  size_t offset;       /* byte offset of the record's first byte in data */
  size_t len;          /* RECORD: bytes up to (not including) the terminating CR/LF/CRLF,
                          embedded line breaks included; REJECT: its first physical line,
                          without the line break */
  uint32_t n_fields;   /* RECORD: the number of fields libcsv delivers */
  unsigned char has_quote;  /* RECORD: 1 when the record contains a '"' byte */
  unsigned char multiline;  /* RECORD: 1 when the record spans several physical lines */
} frame_rec;

typedef struct frame {
  const char *data;
  size_t len;
  size_t pos;              /* start of the next physical line */
  uint64_t line;           /* its number */
  size_t max_record_bytes; /* SPEC --max-record-bytes */
} frame;

/* Starts framing data[0, len). Skips a leading UTF-8 BOM. */
void frame_init(frame *f, const char *data, size_t len, size_t max_record_bytes);

/* Frames the next physical line or record into *out; returns out->kind.
 * ncols < 0: no field-count rule (the header); else the header's field count. */
int frame_next(frame *f, long ncols, frame_rec *out);

#endif
