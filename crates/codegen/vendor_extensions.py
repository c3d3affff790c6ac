"""Vendors cfn-lint's schema extensions (cfnlint/data/schemas/extensions/) that
stackwright-codegen generates cross-property constraints from, and the index of where
cfn-lint applies each one (read from the rules in cfnlint/rules/ that load it).

Run with the Python of an environment that has the pinned cfn-lint installed:

    .venv/bin/python crates/codegen/vendor_extensions.py

Writes crates/codegen/schemas/extensions/<dir>/<file>.json (pretty, sorted keys) and
crates/codegen/schemas/extensions/rules.json; SOURCE.md beside them lists what was left
out and why.
"""

import ast
import glob
import json
import os
import shutil

import cfnlint

ROOT = os.path.dirname(cfnlint.__file__)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas", "extensions")


def rules():
    """(rule id, extension dir, file name, keywords) of every rule that loads one."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "rules", "**", "*.py"), recursive=True)):
        src = open(path, encoding="utf-8").read()
        if "SchemaDetails" not in src or "schemas.extensions" not in src:
            continue
        for cls in [n for n in ast.parse(src).body if isinstance(n, ast.ClassDef)]:
            rid, keywords, details = None, None, []
            for n in ast.walk(cls):
                if isinstance(n, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "id" for t in n.targets
                ):
                    rid = n.value.value
                if isinstance(n, ast.keyword) and n.arg == "keywords":
                    keywords = ast.literal_eval(n.value)
                if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "SchemaDetails":
                    args = [a for a in n.args] + [k.value for k in n.keywords]
                    if len(args) == 2 and isinstance(args[1], ast.Constant):
                        details.append((ast.unparse(args[0]).rsplit(".", 1)[-1], args[1].value))
            for module, filename in details:
                found.append(
                    {
                        "rule": rid,
                        "class": cls.name,
                        "source": os.path.relpath(path, ROOT),
                        "extension": f"{module}/{filename}",
                        "keywords": keywords or [],
                    }
                )
    return found


REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


def skip_reason(rule, schema):
    if not rule["rule"].startswith("E"):
        return "cfn-lint only warns (a W or I rule): CloudFormation accepts the template"
    if any(r in schema for r in REGIONS):
        return "a per-region catalog of allowed values, not a cross-property rule"
    if "cfnGather" in json.dumps(schema):
        return "needs the values of other resources (cfnGather), which synth does not resolve"
    if len(json.dumps(schema)) > 1_000_000:
        return "a catalog of engine and instance class combinations over 1 MB"
    return None


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    index, skipped = [], []
    for rule in rules():
        src = os.path.join(ROOT, "data", "schemas", "extensions", rule["extension"])
        schema = json.load(open(src, encoding="utf-8"))
        reason = skip_reason(rule, schema)
        if reason:
            skipped.append({**rule, "reason": reason})
            continue
        dest = os.path.join(OUT, rule["extension"])
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w", encoding="utf-8") as f:
            json.dump(schema, f, indent=1, sort_keys=True)
            f.write("\n")
        index.append(rule)
    with open(os.path.join(OUT, "rules.json"), "w", encoding="utf-8") as f:
        json.dump({"applied": index, "skipped": skipped}, f, indent=1, sort_keys=True)
        f.write("\n")
    write_source(index, skipped)
    print(f"vendored {len(index)} rules into {OUT}; {len(skipped)} left out")


def write_source(index, skipped):
    version = getattr(cfnlint, "__version__", None)
    if version is None:
        from cfnlint.version import __version__ as version
    lines = [
        "# Vendored cfn-lint schema extensions",
        "",
        "Cross-property rules cfn-lint keeps beside the resource schemas. `stackwright-codegen`",
        "compiles each into a constraint on the shapes cfn-lint applies it to (see",
        "`crates/codegen/src/constraints.rs`); synth's validation enforces them. Written by",
        "`crates/codegen/vendor_extensions.py`; do not edit by hand.",
        "",
        f"- Source: the `cfn-lint` package on PyPI, version {version}, directories",
        "  `cfnlint/data/schemas/extensions/` (the fragments) and `cfnlint/rules/` (where each",
        "  rule applies its fragment: the `keywords` and `SchemaDetails` of the rule's class).",
        "- Licence: MIT-0, as cfn-lint (Copyright Amazon.com, Inc. or its affiliates).",
        "- `rules.json`: `applied`, the rules generated from, with their keyword paths, and",
        "  `skipped`, the rules left out, each with its reason.",
        "",
        "## Applied",
        "",
        "| Rule | File | Applied at |",
        "| --- | --- | --- |",
    ]
    for r in index:
        at = "<br>".join(f"`{k}`" for k in r["keywords"])
        lines.append(f"| {r['rule']} | `{r['extension']}` | {at} |")
    lines += ["", "## Left out", "", "| Rule | File | Why |", "| --- | --- | --- |"]
    for r in skipped:
        lines.append(f"| {r['rule']} | `{r['extension']}` | {r['reason']} |")
    with open(os.path.join(OUT, "SOURCE.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
