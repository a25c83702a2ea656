"""``python -m offline preview``: preview a Pulumi Python program and run a policy pack on it,
with no Pulumi CLI, no provider plugins and no cloud account.

Exit status: 0 no mandatory policy violation; 1 a mandatory violation (as ``pulumi preview``
with a policy pack); 2 the program, its config, the policy pack or the command line is wrong.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_VIOLATION, EXIT_ERROR = 0, 1, 2
DEFAULT_POLICY_PACK = Path(__file__).resolve().parent.parent / "policy"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m offline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("preview", help="run the program on the mock engine and the policy pack on its graph")
    p.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    p.add_argument("--program", type=Path, default=Path("."), help="Pulumi project directory (default: .)")
    packs = p.add_mutually_exclusive_group()
    packs.add_argument(
        "--policy-pack", type=Path, default=DEFAULT_POLICY_PACK, help="policy pack directory (default: %(default)s)"
    )
    packs.add_argument("--no-policy", action="store_true", help="do not run a policy pack")
    p.add_argument(
        "--policy-config",
        type=Path,
        help="policy config JSON, as for pulumi preview --policy-pack-config "
        "(default: <policy pack>/config.<stack>.json if it exists, else the pack's defaults)",
    )
    p.add_argument("--json", type=Path, dest="json_file", help="write the graph, outputs and violations as JSON")
    p.add_argument(
        "--out", type=Path, help="write preview.json and every Kubernetes object as YAML under this directory"
    )
    p.add_argument("--unknowns", action="store_true", help="preview a new stack: computed outputs stay unknown")
    p.add_argument(
        "--invokes",
        type=Path,
        metavar="FILE",
        help="answers for invokes (data sources) and reads, as a YAML/JSON mapping of token -> result",
    )
    p.add_argument(
        "--stack-outputs",
        type=Path,
        metavar="FILE",
        help="outputs of referenced stacks, as a YAML/JSON mapping of stack name -> outputs (else unknown)",
    )
    p.add_argument(
        "--summary",
        type=Path,
        metavar="FILE",
        help="append a Markdown summary (verdict, violations, resources by type) to FILE, e.g. $GITHUB_STEP_SUMMARY",
    )
    p.add_argument("--quiet", action="store_true", help="print only the verdict and the counts, in a few lines")
    p.add_argument("--traceback", action="store_true", help="on a program error, print the full traceback")
    return parser


def _program_location(exc: BaseException, program_dir: Path) -> str:
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(program_dir)
    ]
    if not frames:
        return ""
    f = frames[-1]
    return f" (at {Path(f.filename).resolve().relative_to(program_dir)}:{f.lineno})"


def policy_config_file(pack_dir: Path, stack: str, given: Path | None) -> Path | None:
    """The policy config a preview of ``stack`` uses: the one given, else the pack's
    ``config.<stack>.json`` if it exists, else none (the pack's own defaults)."""
    if given is not None:
        return given
    candidate = pack_dir / f"config.{stack}.json"
    return candidate if candidate.is_file() else None


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return EXIT_ERROR


def preview(args: argparse.Namespace) -> int:
    import pulumi

    from . import analysis, engine, report
    from .invokes import InvokeAnswers, InvokeAnswersError, read_stack_outputs
    from .mocks import UnsupportedInvoke
    from .project import ProjectError, load

    try:
        stack = load(args.program, args.stack)
    except ProjectError as e:
        return _fail(str(e))

    pack = None
    user_config = None
    config_file = policy_config_file(args.policy_pack, args.stack, args.policy_config)
    if not args.no_policy:
        try:
            pack = analysis.load_pack(args.policy_pack)
            user_config = analysis.read_policy_config(config_file) if config_file else None
            analysis.effective_config(pack, user_config)  # reject bad policy config before running
        except analysis.PolicyPackError as e:
            return _fail(str(e))

    try:
        invoke_answers = InvokeAnswers.load(args.invokes) if args.invokes else None
        stack_outputs = read_stack_outputs(args.stack_outputs) if args.stack_outputs else None
    except InvokeAnswersError as e:
        return _fail(str(e))

    try:
        graph = engine.run(stack, unknowns=args.unknowns, invoke_answers=invoke_answers, stack_outputs=stack_outputs)
    except engine.ProgramError as e:
        cause = e.cause
        if args.traceback:
            traceback.print_exception(cause)
        if isinstance(cause, (UnsupportedInvoke, InvokeAnswersError)):
            return _fail(str(cause))
        if isinstance(cause, pulumi.RunError):
            return _fail(str(cause))
        if isinstance(cause, SystemExit):
            return _fail(f"the program exited with status {cause.code}")
        where = _program_location(cause, stack.program_dir)
        hint = ""
        if isinstance(cause, KeyError) and stack_outputs is not None:
            # StackReference.require_output raises a bare KeyError for a missing output,
            # under the real engine too; name where the outputs came from.
            hint = (
                f" (no stack in {args.stack_outputs} has an output named {cause}; "
                f"stacks given: {', '.join(sorted(stack_outputs)) or 'none'})"
            )
        return _fail(f"the program failed: {type(cause).__name__}: {cause}{where}{hint}")

    try:
        violations = analysis.analyze(pack, graph, stack, user_config) if pack is not None else []
    except analysis.PolicyCrash as e:
        if args.traceback:
            traceback.print_exception(e.cause)
        return _fail(f"{e} (run with --traceback for where)")

    out = sys.stdout
    mode = "preview of a new stack (unknowns)" if args.unknowns else "offline preview"
    out.write(f"{mode}: project {stack.project}, stack {stack.stack}\n")
    if stack.config_file_missing:
        out.write(f"(no Pulumi.{stack.stack}.yaml: the stack runs on the defaults in Pulumi.yaml, as the CLI would)\n")
    pack_name = f"{pack.name}@v{pack.version}" if pack is not None else None
    config_label = _shown(config_file) if config_file else "the pack's defaults"
    if args.quiet:
        out.write(report.Counts.of(graph).line() + "\n")
        report.print_notes(graph, out, quiet=True)
    else:
        out.write("\n")
        report.print_tree(graph, out)
        report.print_summary(graph, out)
        report.print_outputs(graph, out)
        report.print_notes(graph, out)
    if pack_name is not None:
        report.print_violations(pack_name, violations, out, config_label, quiet=args.quiet)
    else:
        out.write("Policies: not run (--no-policy)\n" if args.quiet else "\nPolicies: not run (--no-policy)\n")
    if args.summary:
        with args.summary.open("a") as summary:
            summary.write(report.summary_markdown(graph, violations, pack_name, config_label, args.unknowns))

    document = report.report_json(graph, violations)
    if args.json_file:
        args.json_file.write_text(json.dumps(document, indent=2) + "\n")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "preview.json").write_text(json.dumps(document, indent=2) + "\n")
        report.write_kubernetes(graph, args.out)

    return EXIT_VIOLATION if any(v.level == "mandatory" for v in violations) else EXIT_OK


class _Stderr(logging.StreamHandler):
    """Log records to ``sys.stderr`` as it is when each is written (a caller running previews
    in-process may redirect it per preview)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _log_to_stderr() -> None:
    """Warnings (the program's ``pulumi.log.warn``, the engine's notes) go to stderr as
    ``LEVEL: message``, once per process."""
    root = logging.getLogger()
    if not any(isinstance(h, _Stderr) for h in root.handlers):
        handler = _Stderr()
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(handler)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _log_to_stderr()
    if args.command == "preview":
        try:
            return preview(args)
        except Exception as e:
            # A defect of this engine, not a verdict: never exit 1 (the code of a violation).
            if args.traceback:
                traceback.print_exception(e)
            return _fail(f"internal error in the offline engine: {type(e).__name__}: {e} (--traceback shows where)")
    return EXIT_ERROR  # pragma: no cover - argparse requires a command
