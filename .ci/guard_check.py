#!/usr/bin/env python3
"""Runs cfn-guard over templates and fails on any failed rule a resource does not record.

usage: guard_check.py CFN_GUARD RULES_DIR TEMPLATE...

A failure counts once per (rule, resource): the resource is read from the `/Resources/<Id>`
paths of the rule's non-compliant record (`--structured` JSON). It is recorded when that
resource's `Metadata.guard.SuppressedRules` names the rule, by its control id
(`CT.S3.PR.2`, from the rule's message) or its rule name, and `Metadata.guard.Reasons`
gives a reason. A failure on no resource can never be recorded. Prints each failure,
marked `recorded` or `NOT RECORDED`, and the counts per rule.
"""
import collections
import json
import re
import subprocess
import sys

CT_ID = re.compile(r"\[(CT\.[A-Z0-9]+\.PR\.\d+)\]")
RESOURCE = re.compile(r"^/Resources/([^/]+)")


def walk(node, key):
    """Every string value under `key` anywhere in node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from walk(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, key)


def failures(cfn_guard, rules, template):
    """(rule name, control id or None, logical id or None) per failing pair."""
    run = subprocess.run(
        [cfn_guard, "validate", "--rules", rules, "--data", template,
         "--output-format", "json", "--show-summary", "none", "--structured"],
        capture_output=True, text=True)
    # 19: some rule failed; 0 and 5 as the CDK plugin accepts them.
    if run.returncode not in (0, 5, 19):
        sys.exit(f"{template}: cfn-guard exited {run.returncode}: {run.stderr.strip()}")
    out = run.stdout.strip()
    found = set()
    for report in json.loads(out) if out else []:
        for record in report.get("not_compliant", []):
            name = (record.get("Rule") or {}).get("name", "?")
            ids = sorted({m for msg in walk(record, "custom_message") for m in CT_ID.findall(msg)})
            control = ids[0] if ids else None
            resources = {m.group(1) for p in walk(record, "path") if (m := RESOURCE.match(p))}
            for r in sorted(resources) or [None]:
                found.add((name, control, r))
    return sorted(found, key=lambda f: (f[1] or f[0], f[2] or ""))


def recorded(template_json, control, name, logical_id):
    if logical_id is None:
        return False
    body = template_json.get("Resources", {}).get(logical_id, {})
    guard = (body.get("Metadata") or {}).get("guard") or {}
    rules = guard.get("SuppressedRules") or []
    reasons = guard.get("Reasons") or {}
    return any(r in rules and str(reasons.get(r, "")).strip() for r in (control, name) if r)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cfn_guard, rules, templates = sys.argv[1], sys.argv[2], sys.argv[3:]
    per_rule = collections.Counter()
    unrecorded = 0
    total = 0
    for t in templates:
        with open(t) as f:
            body = json.load(f)
        for name, control, lid in failures(cfn_guard, rules, t):
            total += 1
            rule = control or name
            per_rule[rule] += 1
            ok = recorded(body, control, name, lid)
            unrecorded += not ok
            print(f"{'recorded    ' if ok else 'NOT RECORDED'}  {rule:<28} {t}: {lid or '(no resource)'}")
    for rule, n in sorted(per_rule.items()):
        print(f"  {rule}: {n}")
    print(f"{len(templates)} templates: {total} failures, {unrecorded} not recorded")
    sys.exit(1 if unrecorded else 0)


if __name__ == "__main__":
    main()
