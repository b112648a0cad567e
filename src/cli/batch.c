/*
 * batch.c - `senti batch`: score every record of a file on all cores, in order, streaming.
 *
 * The job itself (mapping or streaming the input, the worker threads, the record formats in
 * and out, the accounting) is src/tools/batchjob.c, which senti-mpi runs too; this file is its
 * command line: the help text, and one job over the whole input written to stdout or -o.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "tools/batchjob.h"

static const char batch_usage[] =
    "usage: senti batch IN [-o OUT] [options]\n"
    "\n"
    "Score every record of IN (a file, or - for stdin) and write one result per record, in\n"
    "input order, to OUT (default stdout). The file is memory-mapped and scored on all cores;\n"
    "output is streamed, so files larger than memory work.\n"
    "\n"
    "input and output:\n"
    "  -o, --output FILE       write results here (default: stdout)\n"
    "  -f, --format F          input format: auto (default), lines, tsv, csv, jsonl.\n"
    "                          auto: by extension (.tsv .tab .csv .jsonl .ndjson .json), else by\n"
    "                          content (JSON object -> jsonl, tab in the first line -> tsv,\n"
    "                          else lines)\n"
    "  -F, --output-format F   lines, tsv, csv, jsonl (default: the input's format)\n"
    "  -t, --text-col C        TSV/CSV text column: a 1-based number or a header name\n"
    "                          (default: the first of text, sentence, content, review in the\n"
    "                          header; with --no-header, the last column). For JSONL, the\n"
    "                          member name (same as --text-field)\n"
    "      --text-field NAME   JSONL member holding the text (default: the first of text,\n"
    "                          sentence, content, review present)\n"
    "      --no-header         TSV/CSV input has no header line\n"
    "\n"
    "what is written (for each format the result fields are label, score, the probability\n"
    "of each class and the model's own values, e.g. VADER's neg, neu, pos, compound):\n"
    "  lines   label<TAB>score, or error<TAB>MESSAGE\n"
    "  tsv     the input columns, then label, score, p_<class>..., model values, error\n"
    "          (JSONL input: the members of its first object are the columns)\n"
    "  csv     the same as tsv in RFC 4180 CSV (quoted where needed, CRLF line ends)\n"
    "  jsonl   JSONL input: each object byte for byte with \"label\", \"score\", \"scores\"\n"
    "          and model values added before its closing brace (or \"error\"); other input:\n"
    "          an object of the input columns plus those members\n"
    "  A result name that is already an input column or key gets the prefix pred_\n"
    "  (e.g. pred_label). A TSV/CSV header is written unless the input had --no-header.\n"
    "\n"
    "records: every input record gives one output record, in order. An empty line is a\n"
    "record (scored as empty text in lines format; an error in JSONL). A malformed record\n"
    "(bad CSV quoting, invalid JSON, missing text column, wrong field count) is reported on\n"
    "stderr as FILE:LINE: reason, kept in the output with its error, and counted.\n"
    "\n"
    "performance and display:\n"
    "  -j, --threads N         worker threads, at most 256; 0 or default: all online cores\n"
    "                          (%d here)\n"
    "      --progress          progress bar on stderr (default: only if stderr is a terminal)\n"
    "      --no-progress       no progress bar\n"
    "  -q, --quiet             no summary line\n"
    "\n"
    "model:\n" CLI_MODEL_HELP
    "\n"
    "examples:\n"
    "  senti batch reviews.txt > scores.tsv\n"
    "  senti batch data.csv -o scored.csv --text-col review\n"
    "  senti batch tweets.jsonl --text-field body -F csv -o out.csv\n"
    "  zcat big.tsv.gz | senti batch - --format tsv --threads 8 > out.tsv\n"
    "\n"
    "The summary line on stderr gives records in, out, failed, time and records/s.\n"
    "exit status: 0 all records scored, 1 failure (unreadable input, bad model, write\n"
    "error), 2 usage error, 3 some records failed (each was reported and kept)\n";

int cmd_batch(int argc, char **argv) {
    cli_batch *J = cli_batch_new("batch", "senti batch");
    int rc = cli_batch_parse(J, argc, argv, batch_usage);
    if (rc >= 0) return cli_batch_free(J, rc);
    rc = cli_batch_open(J);
    if (rc != CLI_OK) return cli_batch_free(J, rc);
    if (cli_batch_start_output(J) != 0) return cli_batch_free(J, CLI_FAIL);
    double dt = 0;
    rc = cli_batch_run(J, &dt);
    cli_batch_counts c;
    cli_batch_counts_get(J, &c);
    cli_batch_summary(&c, dt, rc, cli_batch_quiet(J));
    return cli_batch_free(J, rc);
}
