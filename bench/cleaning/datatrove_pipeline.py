"""The peer run for bench/cleaning: the same corpus through datatrove.

Closest equivalents of our pipeline: length / CJK-ratio / punctuation / symbol filters as
LambdaFilters, datatrove's GopherRepetitionFilter (language zho: spaCy + jieba words), then
datatrove's MinHash dedup (signature -> buckets -> cluster -> filter). Writes a JSON summary:
timings per stage, ids removed by filters and by dedup.

Usage: python datatrove_pipeline.py <input.jsonl> <work_dir> <tasks> <n_grams> <buckets> <rows> <gopher 0|1>
"""

import json
import re
import sys
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.filters import GopherRepetitionFilter, LambdaFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.utils.hashing import HashConfig
from datatrove.utils.typeshelper import Languages

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PUNCT = re.compile(r"[!-/:-@\[-`{-~\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u2010-\u2027]")
SPACE = re.compile(r"\s")


def visible(text):
    return len(SPACE.sub("", text))


def cjk_ratio(doc):
    n = visible(doc.text)
    return n > 0 and len(HAN.findall(doc.text)) / n >= 0.3


def punct_ratio(doc):
    n = visible(doc.text)
    return n == 0 or len(PUNCT.findall(doc.text)) / n <= 0.35


def filters(work, name, gopher):
    excluded = lambda step: JsonlWriter(str(work / "excluded" / step), output_filename=f"{name}_${{rank}}.jsonl", compression=None)
    return [
        LambdaFilter(lambda doc: 10 <= visible(doc.text) <= 10000, exclusion_writer=excluded("length")),
        LambdaFilter(cjk_ratio, exclusion_writer=excluded("cjk")),
        LambdaFilter(punct_ratio, exclusion_writer=excluded("punct")),
    ] + ([
        # Gopher's English defaults drop ~83% of these short Chinese notes; use our re-tuned thresholds
        # (applied by datatrove to jieba words rather than characters).
        GopherRepetitionFilter(
            dup_line_frac=0.3,
            dup_para_frac=0.3,
            dup_line_char_frac=0.2,
            dup_para_char_frac=0.2,
            top_n_grams=((2, 0.3), (3, 0.25), (4, 0.2)),
            dup_n_grams=((5, 0.5), (8, 0.4), (13, 0.35)),
            language=Languages.chinese,
            exclusion_writer=excluded("repetition"),
        ),
    ] if gopher else [])


def main():
    source, work, tasks, n_grams, buckets, rows, gopher = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), *map(int, sys.argv[4:8])
    work.mkdir(parents=True, exist_ok=True)
    config = MinhashConfig(n_grams=n_grams, num_buckets=buckets, hashes_per_bucket=rows, hash_config=HashConfig(precision=64))
    timings = {}


    def run(name, pipeline, tasks_here):
        started = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks_here, workers=min(tasks_here, tasks), logging_dir=str(work / "logs" / name), skip_completed=False).run()
        timings[name] = time.perf_counter() - started


    source_path = Path(source)
    reader = lambda folder, pattern: JsonlReader(str(folder), glob_pattern=pattern, text_key="text", id_key="id")
    run("filter", [reader(source_path.parent, source_path.name), *filters(work, "filter", gopher), JsonlWriter(str(work / "filtered"), compression=None)], tasks)
    run("signature", [reader(work / "filtered", "*.jsonl"), MinhashDedupSignature(output_folder=str(work / "signatures"), config=config, language=Languages.chinese)], tasks)
    run("buckets", [MinhashDedupBuckets(input_folder=str(work / "signatures"), output_folder=str(work / "buckets"), config=config)], buckets)
    run("cluster", [MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "clusters"), config=config)], 1)
    run(
        "dedup-filter",
        [
            reader(work / "filtered", "*.jsonl"),
            MinhashDedupFilter(input_folder=str(work / "clusters"), exclusion_writer=JsonlWriter(str(work / "removed"), compression=None)),
            JsonlWriter(str(work / "output"), compression=None),
        ],
        tasks,
    )


    def ids(folder):
        found = []
        for path in sorted(Path(folder).glob("**/*.jsonl")) if Path(folder).exists() else []:
            found += [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]
        return found


    summary = {
        "timings": timings,
        "seconds": sum(timings.values()),
        "filtered": ids(work / "excluded"),
        "deduplicated": ids(work / "removed"),
        "kept": len(ids(work / "output")),
    }
    (work / "summary.json").write_text(json.dumps(summary))
    print(json.dumps({k: v for k, v in summary.items() if k not in ("filtered", "deduplicated")}))


if __name__ == "__main__":
    main()
