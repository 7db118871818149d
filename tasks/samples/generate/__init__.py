"""Generate the small SYNTHETIC sample datasets bundled with the harness.

Every row is produced here from hand-written templates and the word lists in words/; nothing is copied from any real
dataset. Column names match the Hugging Face hub datasets (glue/sst2, glue/mrpc, glue/stsb, conll2003, squad, wmt16
ro-en, xsum, and the other GLUE tasks) so that one column mapping serves both the bundled samples and the real data.

One module per task builds its rows (`gen_*`), `common` holds what they share, `check` validates the files, and
`__main__` is the command line (run from the repository root):

    python -m tasks.samples.generate            # (re)write every file, then validate
    python -m tasks.samples.generate --check    # validate the files on disk and check that they equal a fresh run
    python -m tasks.samples.generate --out DIR  # write somewhere else

The output is byte-for-byte deterministic: every task uses its own seeded random.Random, nothing iterates over a set
or dict of unknown order, and the JSON is written with a fixed layout. Standard library only.
"""
