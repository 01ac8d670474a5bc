"""The pull request comment for one stack's preview, as Markdown on stdout.

    python3 ci/preview_comment.py STACK EXIT_STATUS preview.txt preview.json

preview.txt is `pulumi preview --diff --policy-pack ...` as printed, preview.json the same plan
from `pulumi preview --json`. The comment says whether the check passed, counts the changes,
lists the policy results, gives the cost estimate (the sum of the `estimated_cost_usd` inputs
or outputs the plan carries, or that there is none) and folds the diff away. Standard library
only: CI runs it with the runner's python3.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

COST_KEY = "estimated_cost_usd"
# GitHub refuses comments over 65536 characters; leave room for the rest of the comment.
DIFF_LIMIT = 50_000
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NAME = re.compile(r"::([^:]+)$")
_LEVEL = re.compile(r"\[(mandatory|advisory|remediate)\]")
#: Lines that start the next resource or section rather than continue a policy's message.
_NEW_ENTRY = ("+ ", "~ ", "- ", "+- ", "[urn=", "Diagnostics:", "Outputs:", "Resources:")


def policy_lines(text: str) -> list[str]:
    """Each policy result of the CLI's output with its message: `--diff` prints them inline
    (`pack@v [level]  policy  (type: name)description`, then the message), a plain preview
    under `Policies:`."""
    lines = [line.rstrip() for line in text.splitlines()]
    found = []
    for i, line in enumerate(lines):
        if not _LEVEL.search(line):
            continue
        found.append(line.strip())
        for follow in lines[i + 1 : i + 3]:
            stripped = follow.strip()
            if not stripped or _LEVEL.search(follow) or stripped.startswith(_NEW_ENTRY):
                break
            found.append("  " + stripped)
    return found


def costs(plan: dict[str, Any]) -> dict[str, float]:
    """Resource name -> estimated_cost_usd, for the resources of the plan that carry one."""
    found: dict[str, float] = {}
    for step in plan.get("steps", []):
        state = step.get("newState") or {}
        for props in (state.get("outputs") or {}, state.get("inputs") or {}):
            value = props.get(COST_KEY)
            if isinstance(value, int | float):
                match = _NAME.search(step.get("urn", ""))
                found[match.group(1) if match else step.get("urn", "?")] = float(value)
                break
    return found


def comment(stack: str, status: int, text: str, plan: dict[str, Any] | None) -> str:
    text = _ANSI.sub("", text)
    verdict = "passed" if status == 0 else f"failed (exit {status})"
    out = [f"### Pulumi preview of `{stack}`: {verdict}", ""]
    if plan is None:
        out += ["The plan could not be read (`pulumi preview --json` failed); see the diff.", ""]
    else:
        summary = plan.get("changeSummary") or {}
        changes = ", ".join(f"{op} {n}" for op, n in sorted(summary.items()) if op != "same")
        out += [f"**Changes:** {changes or 'none'}", ""]
        estimated = costs(plan)
        if estimated:
            total = sum(estimated.values())
            parts = ", ".join(f"{name} {usd:.2f}" for name, usd in sorted(estimated.items()))
            out += [f"**Cost estimate:** {total:.2f} USD ({parts})", ""]
        else:
            out += [f"**Cost estimate:** none (no resource in this plan reports `{COST_KEY}`)", ""]
    policies = policy_lines(text)
    if policies:
        out += ["**Policies:**", "", *(f"    {line}" for line in policies), ""]
    else:
        out += ["**Policies:** no violations", ""]
    diff = text if len(text) <= DIFF_LIMIT else text[:DIFF_LIMIT] + "\n... (cut; see the job log)"
    out += ["<details><summary>Diff</summary>", "", "```", diff.rstrip(), "```", "</details>"]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    stack, status, text_path, plan_path = argv
    try:
        plan: dict[str, Any] | None = json.loads(Path(plan_path).read_text())
    except (OSError, ValueError):
        plan = None
    sys.stdout.write(comment(stack, int(status), Path(text_path).read_text(), plan))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
